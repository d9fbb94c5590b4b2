// Finding 1 end to end: an experiment whose pre-training goes NaN exits non-zero with the step and the loss
// term, writes no results.json and no checkpoint, and its tracking run ends FAILED with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileStore } from '../../lib/tracking/file_store';
import { FAILURE_TAG } from '../../lib/tracking/lifecycle';

const repo = resolve(__dirname, '..', '..');

test('experiment CLI: pre-training image weight 1e38 → exit 1, "loss term \'img\' is NaN at step k", no results, run FAILED', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'srn-cli-nan-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = JSON.parse(readFileSync(join(repo, 'experiments', 'semi-supervised-probe.json'), 'utf8'));
  // The scale supplies the small overrides; the file's entry adds this one on top (deep-merged).
  cfg.scales.small.overrides = { training: { pretrain: { weights: { img: 1e38, ce: 0, latent: 1, depth: 1e-3 } } } };
  writeFileSync(join(root, 'cfg.json'), JSON.stringify(cfg));
  const store = join(root, 'mlruns');
  const r = spawnSync(
    process.execPath,
    [join(repo, 'bin', 'semantic-srn.mjs'), 'experiment', 'semi-supervised-probe', '--scale', 'small', '--config', join(root, 'cfg.json'),
      '--out', join(root, 'runs'), '--data', join(root, 'data'), '--tracking-uri', store, '--quiet', '--backend', 'cpu'],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, MLFLOW_TRACKING_URI: '' } },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /pretrain: loss term 'img' is (NaN|Infinity|-Infinity) at step \d+; the stage stopped; no checkpoint was written to \S+checkpoint/);
  assert.deepEqual(findFiles(join(root, 'runs'), 'results.json'), [], 'no results.json anywhere under the runs folder');
  const fs = new FileStore(store);
  const runs = fs.listExperiments().flatMap((e) => fs.listRuns(e.experimentId)).map((i) => fs.readRun(i.runId));
  assert.ok(runs.length >= 1);
  for (const run of runs) assert.equal(run.info.status, 'FAILED', run.info.runName);
  assert.ok(runs.some((run) => /loss term 'img' is \S+ at step \d+/.test(run.tags[FAILURE_TAG] ?? '')), 'the reason is on the run');
});

function findFiles(dir: string, name: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.split(/[\\/]/).pop() === name);
}
