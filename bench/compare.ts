/**
 * `npm run bench:compare` — the backend × preset table of issue 7: runs bench/run.ts once per backend (each
 * in its own process: a process holds one tfjs backend), then prints and writes one table with the step time,
 * rays/s, achieved GFLOP/s and render time of the `cpu` and `paper` presets, next to that run's own plain
 * matMul and the machine's float32 sgemm through numpy when a python3 with numpy is found.
 * Options: --backends node,wasm (default; add cpu for the 45× slower reference), --steps N (default 3),
 * --skip-fit, --out DIR (default bench/results).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBackendChoice } from '../lib/backend/select';
import { writeJsonAtomic } from '../lib/util/atomic_write';

interface BenchTraining { case: string; stepSeconds: number; raysPerSecond: number; achievedGflops: number }
interface BenchRender { case: string; seconds: number; raysPerSecond: number }
interface BenchOutput {
  backend: { description: string };
  matMul: { gflops: number };
  training: BenchTraining[];
  render: BenchRender[];
  latentFit: { seconds: number; jointSecondsPerObject: number | null } | null;
  memory: { peakRssMB: number; peakWasmHeapMB: number | null };
}

const ROOT = resolve(__dirname, '..');
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** float32 sgemm GFLOP/s at 2048³ through numpy (best of 5), or why it could not be measured. */
function numpyMatMul(): { gflops: number; python: string } | { gflops: null; reason: string } {
  const script = [
    'import time, numpy as np',
    'n = 2048; a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32); a @ b',
    'best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5))',
    'print(2 * n ** 3 / best / 1e9)',
  ].join('\n');
  const pythons = [process.env.PYTHON, join(ROOT, '.venv', 'bin', 'python'), 'python3'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const py of pythons) {
    if (py.includes('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    const g = Number(r.stdout?.trim());
    if (r.status === 0 && Number.isFinite(g)) return { gflops: round(g, 1), python: py };
    tried.push(`${py}: ${(r.stderr || r.error?.message || 'no output').trim().split('\n').pop()}`);
  }
  return { gflops: null, reason: `no python3 with numpy (${tried.join('; ')})` };
}

function main(): void {
  const { values } = parseArgs({
    options: { backends: { type: 'string' }, steps: { type: 'string' }, 'skip-fit': { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log('usage: npm run bench:compare -- [--backends node,wasm[,cpu]] [--steps N] [--skip-fit] [--out DIR]');
    return;
  }
  const backends = (values.backends ?? 'node,wasm').split(',').map((b) => parseBackendChoice(b.trim(), '--backends'));
  const steps = values.steps ?? '3';
  const out = values.out ?? join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const log = (m: string) => console.error(`[bench:compare] ${m}`);

  log('numpy sgemm 2048³ …');
  const numpy = numpyMatMul();
  const rows: Record<string, unknown>[] = [];
  const runs: Record<string, unknown>[] = [];
  const unavailable: { backend: string; reason: string }[] = [];
  for (const backend of backends) {
    log(`bench/run.ts --backend ${backend} --steps ${steps} …`);
    const args = ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--backend', backend, '--steps', steps, '--out', out];
    if (values['skip-fit']) args.push('--skip-fit');
    // A backend that cannot start (e.g. node without `npm run setup:native`) becomes a row of the report.
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) {
      unavailable.push({ backend, reason: `bench/run.ts exited with ${r.status ?? r.signal}` });
      continue;
    }
    const b = JSON.parse(r.stdout) as BenchOutput;
    runs.push({ backend, description: b.backend.description, matMulGflops: b.matMul.gflops, latentFit: b.latentFit, memory: b.memory });
    for (const t of b.training) {
      const render = b.render.find((x) => t.case.startsWith(x.case));
      rows.push({
        backend,
        case: t.case,
        stepSeconds: t.stepSeconds,
        raysPerSecond: t.raysPerSecond,
        achievedGflops: t.achievedGflops,
        backendMatMulGflops: b.matMul.gflops,
        fractionOfBackendMatMul: round(t.achievedGflops / b.matMul.gflops, 3),
        fractionOfNumpyMatMul: numpy.gflops ? round(t.achievedGflops / numpy.gflops, 3) : null,
        render64Seconds: render?.seconds ?? null,
        renderRaysPerSecond: render?.raysPerSecond ?? null,
      });
    }
  }
  const result = { schema: 'semantic-srn/bench-compare@1', date: new Date().toISOString(), numpyMatMul: numpy, rows, runs, unavailable };
  const path = join(out, `compare-${result.date.slice(0, 19).replace(/:/g, '-')}.json`);
  writeJsonAtomic(path, result);
  const pct = (x: unknown) => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : 'n/a');
  const lines = [
    `| backend | case | step s | rays/s | GFLOP/s | % of its matMul | % of numpy sgemm (${numpy.gflops ?? 'n/a'} GFLOP/s) | render 64² s |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.backend} | ${r.case} | ${r.stepSeconds} | ${r.raysPerSecond} | ${r.achievedGflops} | ${pct(r.fractionOfBackendMatMul)} of ${r.backendMatMulGflops} | ${pct(r.fractionOfNumpyMatMul)} | ${r.render64Seconds ?? 'n/a'} |`),
    ...unavailable.map((u) => `| ${u.backend} | unavailable: ${u.reason} | | | | | | |`),
  ];
  console.error(lines.join('\n'));
  console.log(JSON.stringify(result, null, 2));
  log(`written ${path}`);
  if (rows.length === 0) process.exitCode = 1;
}

main();
