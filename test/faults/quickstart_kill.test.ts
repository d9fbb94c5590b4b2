// Findings 2 and 5 end to end: a quickstart killed (-9) inside its pre-training checkpoint write is run
// again; it resumes from the complete temporary copy (not step 1), continues the same MLflow run (not a
// second, unlinked one), finishes it, and leaves only the final checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileStore } from '../../lib/tracking/file_store';

const repo = resolve(__dirname, '..', '..');

test('quickstart killed between writing and renaming its checkpoint resumes it and continues its run', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'srn-qs-kill-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const store = join(root, 'mlruns');
  const args = [join(repo, 'bin', 'semantic-srn.mjs'), 'quickstart', '--preset', 'tiny', '--out', join(root, 'runs'), '--data', join(root, 'data'),
    '--steps', 'pretrain=4,probe=2,fit=2', '--train-instances', '3', '--test-instances', '1', '--resolution', '16', '--backend', 'cpu',
    '--tracking-uri', store, '--quiet'];
  const run = (killAt: string) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 150_000, env: { ...process.env, MLFLOW_TRACKING_URI: '', SRN_FAULT_KILL_AT: killAt } });
  const ckDir = join(root, 'runs', 'quickstart', 'checkpoints');

  const first = run('checkpoint:tmp-complete@1'); // the final pre-training write: complete, not yet renamed
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  assert.deepEqual(readdirSync(ckDir).map((n) => n.replace(/\d+-\d+$/, '*')), ['.pretrain.tmp-*']);

  const second = run('');
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /pre-training resumes from \S+checkpoints\/pretrain\n/);
  assert.match(second.stderr, /pre-training: none to run, \S+checkpoints\/pretrain is at step 4\n/); // resumed at the final step, not step 1
  const fs = new FileStore(store);
  const runs = fs.listExperiments().flatMap((e) => fs.listRuns(e.experimentId));
  assert.equal(runs.length, 1, 'one MLflow run, continued');
  const [info] = runs;
  assert.match(second.stderr, new RegExp(`continuing run ${info.runId}, left RUNNING by process \\d+`));
  assert.equal(fs.readRun(info.runId).info.status, 'FINISHED');
  const results = JSON.parse(readFileSync(join(root, 'runs', 'quickstart', 'results.json'), 'utf8'));
  assert.equal(results.training.pretrainSteps, 4);
  assert.equal(results.tracking.runId, info.runId);
  assert.deepEqual(readdirSync(ckDir).sort(), ['pretrain', 'probe'], 'temporaries cleaned');
  assert.deepEqual(JSON.parse(readFileSync(join(ckDir, 'pretrain', 'manifest.json'), 'utf8')).tracking, { uri: fs.uri, runId: info.runId }, 'the run id is kept with the checkpoint');
  assert.ok(!existsSync(join(root, 'runs', 'quickstart', 'tracking-run.json')), 'the lease is gone once the run ended');
});
