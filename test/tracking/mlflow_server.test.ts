// Against a real MLflow server (scripts/mlflow-server.sh) and the real MLflow Python package.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createTracker } from '../../lib/tracking/create_tracker';
import { RestBackend } from '../../lib/tracking/rest_store';
import { FileStore } from '../../lib/tracking/file_store';
import { syncLocalStore } from '../../lib/tracking/sync';
import { ParamConflictError } from '../../lib/tracking/errors';
import type { MetricPoint } from '../../lib/tracking/types';
import { MAIN_SERVER_DIR, killServer, runPython, serverUri, skipWithoutPython, skipWithoutServer, startServer, stopServer } from './mlflow_env';

// The server that gets killed: under `mlflow-server.sh run` it shares the main server's store, so the
// main server is the "restarted" one and sync can go there; it starts now, while the other tests run
// (MLflow needs seconds to start). Otherwise a private server is started and restarted in the test.
const victimDir = mkdtempSync(join(tmpdir(), 'srn-it-victim-'));
const victim: Promise<string> | undefined = !skipWithoutServer && MAIN_SERVER_DIR ? startServer(victimDir, MAIN_SERVER_DIR) : undefined;
victim?.catch(() => {}); // awaited (and reported) in the test
after(async () => {
  await stopServer(victimDir).catch(() => {});
  rmSync(victimDir, { recursive: true, force: true });
});

const unique = (name: string) => `${name}-${Date.now()}-${randomBytes(3).toString('hex')}`;
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const KEYS = ['train/loss', 'train/psnr', 'eval/psnr', 'lr', 'grad_norm'];
const STEPS = 500; // x 5 keys = 2,500 points
const valueOf = (k: number, step: number) => (k === 4 && step === 7 ? NaN : k === 4 && step === 8 ? Infinity : Math.sin(step * (k + 1)) + k);
const pngBytes = randomBytes(4096);

function assertHistory(points: MetricPoint[], k: number, steps: number[]) {
  assert.deepEqual(points.map((p) => p.step), steps, `${KEYS[k]} steps`);
  for (const p of points) {
    const want = valueOf(k, p.step);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(p.value));
    else assert.equal(p.value, want, `${KEYS[k]} @${p.step}`);
  }
}

test('a run round-trips through the server: params, 2,500 metric points, tags, nested child, two artifacts', { skip: skipWithoutServer }, async (t) => {
  const uri = serverUri();
  const local = tmp('srn-it-');
  t.after(() => rmSync(local, { recursive: true, force: true }));
  const experiment = unique('roundtrip');
  const tracker = createTracker({ uri, experimentName: experiment, localStore: local, handleSignals: false });
  const run = await tracker.startRun({ name: 'parent run', params: { model: { lr: 1e-3, widths: [256, 256] }, seed: 3 }, tags: { stage: 'srn' } });
  const log = run.stepLogger();
  for (let step = 0; step < STEPS; step++) log(step, Object.fromEntries(KEYS.map((key, k) => [key, valueOf(k, step)])));
  await run.setTags({ 'dataset.name': 'shapenet chairs' });
  await run.logArtifactBytes('renders/view 000.png', pngBytes);
  await run.logJson('eval/metrics.json', { psnr: 24.5 });
  await tracker.withRun({ name: 'child', parent: run, params: { lr: 0.5 } }, async (child) => child.logMetric('score', 0.75, 2));
  await run.end();
  await tracker.close();
  assert.equal(run.spilled, false);

  const api = new RestBackend({ uri });
  t.after(() => api.close());
  const exp = await api.getExperimentByName(experiment);
  assert.equal(exp?.tags['mlflow.experimentKind'], 'custom_model_development');
  const got = await api.getRun(run.runId);
  assert.equal(got.info.status, 'FINISHED');
  assert.equal(got.info.runName, 'parent run');
  assert.deepEqual(got.params, { 'model.lr': '0.001', 'model.widths': '[256,256]', seed: '3' });
  assert.equal(got.tags.stage, 'srn');
  assert.equal(got.tags['dataset.name'], 'shapenet chairs');
  assert.equal(got.tags['mlflow.runName'], 'parent run');
  assert.equal(got.tags['mlflow.source.type'], 'LOCAL');
  assert.ok(got.tags['mlflow.user']);
  assert.match(got.tags['mlflow.source.git.commit'] ?? '', /^[0-9a-f]{40}$/);
  let total = 0;
  for (const [k, key] of KEYS.entries()) {
    const h = await api.getMetricHistory(run.runId, key);
    assertHistory(h, k, Array.from({ length: STEPS }, (_, i) => i));
    total += h.length;
  }
  assert.equal(total, 2500);
  const children = await api.searchRuns([exp!.experimentId], `tags.mlflow.parentRunId = '${run.runId}'`);
  assert.deepEqual(children.map((c) => [c.info.runName, c.params.lr, c.metrics.score, c.info.status]), [['child', '0.5', 0.75, 'FINISHED']]);
  const files = await api.listArtifacts(run.runId);
  assert.deepEqual(files.map((f) => [f.path, f.fileSize]).sort(), [['eval/metrics.json', 19], ['renders/view 000.png', 4096]]);
  assert.deepEqual(await api.getArtifact(got.info, 'renders/view 000.png'), pngBytes);
  assert.deepEqual(JSON.parse((await api.getArtifact(got.info, 'eval/metrics.json')).toString()), { psnr: 24.5 });
});

test('changing a param on the server gives our ParamConflictError', { skip: skipWithoutServer }, async (t) => {
  const uri = serverUri();
  const tracker = createTracker({ uri, experimentName: unique('params'), localStore: false, handleSignals: false });
  const run = await tracker.startRun({ name: 'p', params: { lr: 0.1 } });
  await assert.rejects(run.logParams({ lr: 0.2 }), /param 'lr' of run [0-9a-f]{32} is already "0.1"; cannot change it to "0.2"/);
  // Another client (no local knowledge): the server refuses, and the error is still ours.
  const other = new RestBackend({ uri });
  t.after(() => other.close());
  await assert.rejects(other.logBatch(run.runId, { params: [{ key: 'lr', value: '0.3' }] }), (e: Error) => {
    assert.ok(e instanceof ParamConflictError, e.message);
    assert.equal(e.message, `param 'lr' of run ${run.runId} is already "0.1"; cannot change it to "0.3" (MLflow params are immutable: start a new or child run per configuration)`);
    return true;
  });
  await run.end();
  await tracker.close();
});

test('server killed mid-run: logging continues locally and sync restores everything, idempotently', { skip: skipWithoutServer, timeout: 240_000 }, async (t) => {
  serverUri();
  const local = tmp('srn-it-spill-');
  t.after(() => rmSync(local, { recursive: true, force: true }));
  const uri1 = victim ? await victim : await startServer(victimDir);
  const experiment = unique('spill');
  const warnings: string[] = [];
  const tracker = createTracker({
    uri: uri1,
    experimentName: experiment,
    localStore: local,
    handleSignals: false,
    rest: { maxRetries: 1, backoffMs: 50 },
    warn: (m) => warnings.push(m),
  });
  const run = await tracker.startRun({ name: 'survivor', params: { lr: 0.01 } });
  const log = run.stepLogger();
  for (let step = 0; step < 300; step++) log(step, Object.fromEntries(KEYS.map((key, k) => [key, valueOf(k, step)])));
  await run.logArtifactBytes('before.png', pngBytes);
  await run.flush();

  await killServer(victimDir);
  for (let step = 300; step < STEPS; step++) log(step, Object.fromEntries(KEYS.map((key, k) => [key, valueOf(k, step)])));
  await run.setTags({ outage: 'yes' });
  await run.logText('after.txt', 'written while the server was down');
  const child = await tracker.startRun({ name: 'offline child', parent: run, params: { depth: 2 } });
  child.logMetric('score', 1.5, 1);
  await child.end();
  await run.end();
  await tracker.close();
  assert.equal(run.spilled, true);
  assert.match(warnings.join('\n'), /semantic-srn mlflow sync/);

  // The store outlives the server: sync into a server on it (the main one, or a restart of the private one).
  const uri2 = victim ? serverUri() : await startServer(victimDir);
  const first = await syncLocalStore({ from: local, to: uri2 });
  assert.deepEqual(first.map((r) => r.action).sort(), ['created', 'updated']);
  const second = await syncLocalStore({ from: local, to: uri2 });
  assert.deepEqual(second.map((r) => r.action), ['unchanged', 'unchanged'], 'a second sync adds nothing');

  const api = new RestBackend({ uri: uri2 });
  t.after(() => api.close());
  const got = await api.getRun(run.runId);
  assert.equal(got.info.status, 'FINISHED');
  assert.equal(got.tags.outage, 'yes');
  assert.equal(got.params.lr, '0.01');
  assert.equal(got.tags['semantic_srn.spill.server_run_id'], undefined, 'local bookkeeping tags stay local');
  for (const [k, key] of KEYS.entries()) assertHistory(await api.getMetricHistory(run.runId, key), k, Array.from({ length: STEPS }, (_, i) => i));
  assert.deepEqual((await api.listArtifacts(run.runId)).map((f) => f.path).sort(), ['after.txt', 'before.png']);
  assert.equal((await api.getArtifact(got.info, 'after.txt')).toString(), 'written while the server was down');
  const exp = await api.getExperimentByName(experiment);
  const kids = await api.searchRuns([exp!.experimentId], `tags.mlflow.parentRunId = '${run.runId}'`);
  assert.equal(kids.length, 1);
  assert.equal(kids[0].info.runName, 'offline child');
  assert.equal(kids[0].params.depth, '2');
  assert.equal(kids[0].metrics.score, 1.5);
  assert.equal(kids[0].info.status, 'FINISHED');
  assert.equal(kids[0].tags['semantic_srn.source_run_id'], child.runId);
});

test('the real MLflow reads our local store (file: URI) with the same params, metrics and tags; sync pushes it', { skip: skipWithoutPython, timeout: 120_000 }, async (t) => {
  const dir = tmp('srn-it-py-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'mlruns');
  const experiment = unique('local');
  const tracker = createTracker({ uri: pathToFileURL(root).href, experimentName: experiment, handleSignals: false });
  const run = await tracker.startRun({ name: "quick 'start'", params: { model: { lr: 1e-4 }, views: 50 }, tags: { note: 'a: b' } });
  for (let step = 0; step < 20; step++) run.logMetrics({ 'train/loss': 1 / (step + 1), psnr: step === 3 ? NaN : 20 + step / 10 }, step, 1700000000000 + step);
  await run.logText('summary.md', '# done\n');
  const child = await tracker.startRun({ name: 'child', parent: run });
  await child.end('KILLED');
  await run.end();
  await tracker.close();

  const out = await runPython(
    `
import json, math, sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri=sys.argv[1])
e = c.get_experiment_by_name(sys.argv[2])
runs = []
for r in c.search_runs([e.experiment_id]):
    hist = {k: [[m.step, m.timestamp, None if math.isnan(m.value) else m.value] for m in c.get_metric_history(r.info.run_id, k)] for k in r.data.metrics}
    runs.append(dict(id=r.info.run_id, name=r.info.run_name, status=r.info.status, end=r.info.end_time, params=r.data.params, tags=r.data.tags,
                     history=hist, artifacts=[a.path for a in c.list_artifacts(r.info.run_id)]))
print(json.dumps(dict(exp_tags=e.tags, runs=runs)))
`,
    [pathToFileURL(root).href, experiment],
    { MLFLOW_ALLOW_FILE_STORE: 'true' },
  );
  const py = JSON.parse(out.trim().split('\n').pop()!);
  assert.equal(py.exp_tags['mlflow.experimentKind'], 'custom_model_development');
  const mine = new FileStore(root).readRun(run.runId);
  const p = py.runs.find((r: { id: string }) => r.id === run.runId);
  assert.equal(p.name, "quick 'start'");
  assert.equal(p.status, 'FINISHED');
  assert.deepEqual(p.params, mine.params);
  assert.deepEqual(p.tags, mine.tags);
  assert.deepEqual(p.params, { 'model.lr': '0.0001', views: '50' });
  assert.equal(p.tags.note, 'a: b');
  assert.deepEqual(
    p.history['train/loss'],
    Array.from({ length: 20 }, (_, s) => [s, 1700000000000 + s, 1 / (s + 1)]),
  );
  assert.equal(p.history.psnr[3][2], null); // NaN
  assert.deepEqual(p.artifacts, ['summary.md']);
  const c = py.runs.find((r: { id: string }) => r.id === child.runId);
  assert.equal(c.status, 'KILLED');
  assert.equal(c.tags['mlflow.parentRunId'], run.runId);

  // ... and sync pushes the local runs to the server (skipped locally when no server is running).
  if (skipWithoutServer) return;
  const uri = serverUri();
  const synced = await syncLocalStore({ from: root, to: uri });
  assert.deepEqual(synced.map((r) => r.action), ['created', 'created']);
  const api = new RestBackend({ uri });
  t.after(() => api.close());
  const [parentOnServer, childOnServer] = synced.map((r) => r.serverRunId);
  const got = await api.getRun(parentOnServer);
  assert.deepEqual(got.params, mine.params);
  assert.equal(got.info.startTime, mine.info.startTime);
  assert.equal(got.info.endTime, mine.info.endTime);
  assert.deepEqual((await api.getMetricHistory(parentOnServer, 'train/loss')).map((m) => [m.step, m.timestamp, m.value]), p.history['train/loss']);
  assert.equal((await api.getRun(childOnServer)).tags['mlflow.parentRunId'], parentOnServer);
  assert.equal((await api.getRun(childOnServer)).info.status, 'KILLED');
  assert.deepEqual((await syncLocalStore({ from: root, to: uri })).map((r) => r.action), ['unchanged', 'unchanged']);
});
