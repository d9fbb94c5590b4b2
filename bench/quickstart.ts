/**
 * `npm run bench:quickstart` — the main job's wall time as a newcomer meets it (issue 15: "under 10 minutes on 2
 * quiet cores"), as JSON on stdout and in bench/results/quickstart-<date>.json.
 * Runs `bin/semantic-srn.mjs quickstart` (its defaults: cpu preset, chairs, shipped pre-training) into a fresh
 * temporary folder, then reads the run's own stage timings from its results.json. With --fresh-clone it first
 * clones this repository's HEAD into the temporary folder and times `npm ci` there too (the first-run native
 * build is then part of the quickstart's time). Load averages are sampled every 5 s: a busy machine's time is
 * not a quiet one's.
 * Options: --fresh-clone, --backend B (passed to the quickstart), --keep (keep the temporary folder), --out DIR.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../lib/util/atomic_write';

const repo = resolve(__dirname, '..');

/** Runs a command to completion, returning its wall seconds; a non-zero exit throws with the output's tail. */
function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (b: Buffer) => (tail = (tail + b.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok((performance.now() - t0) / 1000) : fail(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail}`))));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'fresh-clone': { type: 'boolean' }, backend: { type: 'string' }, keep: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log('usage: npm run bench:quickstart -- [--fresh-clone] [--backend B] [--keep] [--out DIR]');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'srn-bench-qs-'));
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 5000);
  loads.push(loadavg()[0]);
  try {
    const env = { ...process.env, MLFLOW_TRACKING_URI: '' };
    let root = repo;
    let npmCiSeconds: number | null = null;
    if (values['fresh-clone']) {
      root = join(tmp, 'clone');
      execFileSync('git', ['clone', '-q', repo, root]);
      npmCiSeconds = await timed('npm', ['ci', '--no-audit', '--no-fund'], root, env);
    }
    const out = join(tmp, 'runs');
    const args = [join(root, 'bin', 'semantic-srn.mjs'), 'quickstart', '--out', out, '--tracking-uri', join(tmp, 'mlruns')];
    if (values.backend) args.push('--backend', values.backend);
    const quickstartSeconds = await timed(process.execPath, args, root, env);
    const results = JSON.parse(readFileSync(join(out, 'quickstart', 'results.json'), 'utf8')) as {
      mIOU: number;
      timings: Record<string, number>;
      backend: { description?: string };
    };
    loads.push(loadavg()[0]);
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const report = {
      bench: 'quickstart',
      commit,
      freshClone: values['fresh-clone'] === true,
      npmCiSeconds,
      quickstartSeconds,
      totalSeconds: quickstartSeconds + (npmCiSeconds ?? 0),
      underTenMinutes: quickstartSeconds + (npmCiSeconds ?? 0) < 600,
      stages: results.timings,
      mIOU: results.mIOU,
      backend: results.backend.description ?? results.backend,
      load: { min: Math.min(...loads), max: Math.max(...loads), samples: loads.length },
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      createdAt: new Date().toISOString(),
    };
    const dir = values.out ?? join(repo, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, `quickstart-${report.createdAt.slice(0, 19).replace(/:/g, '-')}.json`), report);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    clearInterval(sampler);
    if (!values.keep) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
