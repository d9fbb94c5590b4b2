import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileStore } from '../../lib/tracking/file_store';
import { MlflowTracker } from '../../lib/tracking/tracker';
import { createMemoryTracker, createTracker, NullTracker } from '../../lib/tracking/create_tracker';
import { parseMeta } from '../../lib/tracking/meta_yaml';
import { ParamConflictError, TrackingError } from '../../lib/tracking/errors';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'srn-mlruns-'));
}

test('file store: MLflow mlruns layout for experiments, runs, params, metrics, tags, artifacts', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'mlruns');
  const tracker = createTracker({ uri: pathToFileURL(root).href, experimentName: 'layout', handleSignals: false });
  const run = await tracker.startRun({ name: "run 'one'", params: { model: { lr: 0.001 }, note: 'a b' }, tags: { team: 'srn' } });
  run.logMetric('train/loss', 0.5, 0, 1700000000000);
  run.logMetric('train/loss', NaN, 1, 1700000000001);
  run.logMetrics({ psnr: Infinity, 'train/loss': 0.25 }, 2, 1700000000002);
  await run.logText('notes/readme.txt', 'hello');
  await run.logJson('eval.json', { psnr: 21.5, bad: NaN });
  const src = join(dir, 'renders');
  mkdirSync(join(src, 'deep'), { recursive: true });
  writeFileSync(join(src, 'a.png'), 'A');
  writeFileSync(join(src, 'deep', 'b.png'), 'B');
  await run.logArtifact(src, 'views'); // a folder: its contents under views/
  await run.logArtifact(join(src, 'a.png')); // a file: by its name at the root
  const child = await tracker.startRun({ name: 'child', parent: run });
  await child.end();
  await run.end();

  const store = new FileStore(root);
  assert.deepEqual(parseMeta(readFileSync(join(root, '0', 'meta.yaml'), 'utf8')).name, 'Default');
  assert.ok(existsSync(join(root, '.trash')));
  const exps = store.listExperiments().filter((e) => e.name === 'layout');
  assert.equal(exps.length, 1);
  const expId = exps[0].experimentId;
  assert.match(expId, /^\d+$/);
  const expMeta = parseMeta(readFileSync(join(root, expId, 'meta.yaml'), 'utf8'));
  assert.deepEqual(
    { ...expMeta, creation_time: 0, last_update_time: 0 },
    { artifact_location: pathToFileURL(join(root, expId)).href, creation_time: 0, experiment_id: expId, last_update_time: 0, lifecycle_stage: 'active', name: 'layout' },
  );
  assert.equal(readFileSync(join(root, expId, 'tags', 'mlflow.experimentKind'), 'utf8'), 'custom_model_development');

  const runDir = join(root, expId, run.runId);
  const meta = parseMeta(readFileSync(join(runDir, 'meta.yaml'), 'utf8'));
  assert.equal(meta.run_id, run.runId);
  assert.equal(meta.experiment_id, expId);
  assert.equal(meta.run_name, "run 'one'");
  assert.equal(meta.status, 3); // FINISHED
  assert.equal(typeof meta.end_time, 'number');
  assert.equal(meta.source_type, 4);
  assert.deepEqual(meta.tags, []);
  assert.equal(meta.artifact_uri, pathToFileURL(join(runDir, 'artifacts')).href);
  assert.equal(readFileSync(join(runDir, 'metrics', 'train', 'loss'), 'utf8'), '1700000000000 0.5 0\n1700000000001 nan 1\n1700000000002 0.25 2\n');
  assert.equal(readFileSync(join(runDir, 'metrics', 'psnr'), 'utf8'), '1700000000002 inf 2\n');
  assert.equal(readFileSync(join(runDir, 'params', 'model.lr'), 'utf8'), '0.001');
  assert.equal(readFileSync(join(runDir, 'params', 'note'), 'utf8'), 'a b');
  assert.equal(readFileSync(join(runDir, 'tags', 'mlflow.runName'), 'utf8'), "run 'one'");
  assert.equal(readFileSync(join(runDir, 'tags', 'team'), 'utf8'), 'srn');
  assert.equal(readFileSync(join(runDir, 'tags', 'mlflow.source.type'), 'utf8'), 'LOCAL');
  assert.ok(existsSync(join(runDir, 'tags', 'mlflow.user')));
  assert.equal(readFileSync(join(runDir, 'artifacts', 'notes', 'readme.txt'), 'utf8'), 'hello');
  assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'artifacts', 'eval.json'), 'utf8')), { psnr: 21.5, bad: 'NaN' });
  assert.equal(readFileSync(join(root, expId, child.runId, 'tags', 'mlflow.parentRunId'), 'utf8'), run.runId);
  // no temp files left behind by the atomic writes
  const all = readdirSync(root, { recursive: true }).map(String);
  assert.ok(!all.some((f) => f.includes('.tmp-')), all.join(','));

  const back = store.readRun(run.runId);
  assert.equal(back.info.status, 'FINISHED');
  assert.deepEqual(back.params, { 'model.lr': '0.001', note: 'a b' });
  assert.deepEqual(back.metrics['train/loss'].map((m) => [m.step, m.value]), [[0, 0.5], [1, NaN], [2, 0.25]]);
  assert.deepEqual(store.listArtifactFiles(run.runId), ['a.png', 'eval.json', 'notes/readme.txt', 'views/a.png', 'views/deep/b.png']);
  assert.equal(readFileSync(join(runDir, 'artifacts', 'views', 'deep', 'b.png'), 'utf8'), 'B');
  await assert.rejects(run.logArtifactBytes('../escape.txt', Buffer.from('x')), /has already ended|inside the run's artifact folder/);
});

test('runs started without a name get a generated one (the file store needs mlflow.runName)', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tracker = new MlflowTracker({ backend: new FileStore(dir), handleSignals: false, systemTags: false });
  const run = await tracker.startRun();
  assert.match(run.name, /^[a-z]+-[a-z]+-\d+$/);
  await assert.rejects(run.logArtifactBytes('../escape.txt', Buffer.from('x')), /must stay inside the run's artifact folder/);
  await run.end();
  assert.equal(new FileStore(dir).readRun(run.runId).tags['mlflow.runName'], run.name);
});

test('file store reader ignores a torn last metric line and accepts legacy 2-field lines', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tracker = new MlflowTracker({ backend: new FileStore(dir), handleSignals: false, systemTags: false });
  const run = await tracker.startRun({ name: 'torn' });
  run.logMetric('m', 1, 3, 10);
  await run.flush();
  const store = new FileStore(dir);
  const file = join(store.runDir(run.runId), 'metrics', 'm');
  appendFileSync(file, '11 2\n12 0.');
  assert.deepEqual(store.readRun(run.runId).metrics.m.map((m) => [m.timestamp, m.value, m.step]), [[10, 1, 3], [11, 2, 0]]);
  await run.end();
});

test('params are immutable: a changed value throws ParamConflictError naming key and values', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tracker = new MlflowTracker({ backend: new FileStore(dir), handleSignals: false, systemTags: false });
  const run = await tracker.startRun({ name: 'p' });
  await run.logParams({ lr: 0.1, batch: 8 });
  await run.logParams({ lr: 0.1 }); // same value again: fine
  await assert.rejects(run.logParams({ lr: 0.2 }), (e: Error) => {
    assert.ok(e instanceof ParamConflictError);
    assert.match(e.message, /param 'lr' of run [0-9a-f]{32} is already "0.1"; cannot change it to "0.2".*child run/);
    return true;
  });
  // Another writer (e.g. a resumed process) hits the store-level check.
  await assert.rejects(new FileStore(dir).logBatch(run.runId, { params: [{ key: 'batch', value: '16' }] }), ParamConflictError);
  await run.end();
  await assert.rejects(run.logParams({ x: 1 }), /has already ended \(FINISHED\)/);
  assert.throws(() => run.logMetric('x', 1), /has already ended/);
});

test('withRun ends FINISHED, or FAILED and rethrows when the body throws', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tracker = new MlflowTracker({ backend: new FileStore(dir), handleSignals: false, systemTags: false });
  const ok = await tracker.withRun({ name: 'ok' }, async (run) => {
    run.logMetric('m', 1);
    return run.runId;
  });
  let failedId = '';
  await assert.rejects(
    tracker.withRun({ name: 'bad' }, async (run) => {
      failedId = run.runId;
      run.logMetric('m', 2);
      throw new Error('diverged');
    }),
    /diverged/,
  );
  const store = new FileStore(dir);
  assert.equal(store.readRun(ok).info.status, 'FINISHED');
  const failed = store.readRun(failedId);
  assert.equal(failed.info.status, 'FAILED');
  assert.equal(failed.metrics.m[0].value, 2, 'metrics buffered before the throw are kept');
  assert.equal(tracker.openRuns().length, 0);
});

test('two trackers creating the same experiment in one store get one experiment', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = new FileStore(dir);
  const b = new FileStore(dir);
  const ids = await Promise.all([a.getOrCreateExperiment('same'), b.getOrCreateExperiment('same'), a.getOrCreateExperiment('same')]);
  assert.equal(new Set(ids).size, 1);
  assert.equal(a.listExperiments().filter((e) => e.name === 'same').length, 1);
  assert.ok(!existsSync(join(dir, '.experiments.lock')));
});

test('createTracker picks the backend from MLFLOW_TRACKING_URI', () => {
  const env = (uri?: string) => ({ MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_NAME: 'from-env' }) as NodeJS.ProcessEnv;
  const local = createTracker({ env: env(undefined), handleSignals: false });
  assert.equal(local.uri, pathToFileURL(join(process.cwd(), 'mlruns')).href);
  assert.equal(local.experimentName, 'from-env');
  const rest = createTracker({ env: env('http://127.0.0.1:5000'), handleSignals: false });
  assert.equal(rest.uri, 'http://127.0.0.1:5000');
  assert.ok(rest.spillStore, 'REST tracker spills to ./mlruns');
  assert.equal(createTracker({ env: env('file:./somewhere'), handleSignals: false }).uri, pathToFileURL(join(process.cwd(), 'somewhere')).href);
  assert.throws(() => createTracker({ env: env('sqlite:///mlflow.db') }), (e: Error) => e instanceof TrackingError && /not supported from Node.*mlflow server/.test(e.message));
  assert.equal(createTracker({ env: {} as NodeJS.ProcessEnv, handleSignals: false }).experimentName, 'semantic-srn');
});

test('memory tracker records runs for tests of other modules; step loggers prefix keys', async () => {
  const tracker = createMemoryTracker({ experimentName: 'unit' });
  const sweep = await tracker.startRun({ name: 'sweep' });
  for (const lr of [0.1, 0.01]) {
    await tracker.withRun({ name: `lr=${lr}`, parent: sweep, params: { lr } }, async (run) => {
      const onMetrics = run.stepLogger('train/');
      for (let step = 0; step < 3; step++) onMetrics(step, { loss: lr * (3 - step) });
    });
  }
  await sweep.end();
  const runs = [...tracker.backend.runs.values()];
  assert.equal(runs.length, 3);
  const children = runs.filter((r) => r.tags['mlflow.parentRunId'] === sweep.runId);
  assert.deepEqual(children.map((r) => r.params.lr), ['0.1', '0.01']);
  assert.deepEqual(tracker.backend.history(children[0].info.runId, 'train/loss').map((m) => m.step), [0, 1, 2]);
  assert.ok(runs.every((r) => r.info.status === 'FINISHED'));
  assert.equal(tracker.backend.experiments.get('unit')!.tags['mlflow.experimentKind'], 'custom_model_development');
});

test('NullTracker accepts the whole API and records nothing', async () => {
  const tracker = new NullTracker();
  const v = await tracker.withRun({ name: 'n' }, async (run) => {
    await run.logParams({ a: 1 });
    run.logMetric('m', 1, 1);
    run.stepLogger()(1, { m: 2 });
    await run.logJson('x.json', {});
    return 42;
  });
  assert.equal(v, 42);
  assert.deepEqual(tracker.openRuns(), []);
});

test('a local store written by another tool: runs with missing folders/metas are skipped', () => {
  const dir = tmp();
  try {
    const store = new FileStore(dir);
    store.ensureRoot();
    mkdirSync(join(dir, '5'), { recursive: true }); // no meta.yaml
    writeFileSync(join(dir, 'stray.txt'), 'x');
    assert.deepEqual(store.listExperiments().map((e) => e.name), ['Default']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
