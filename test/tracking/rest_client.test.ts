// The REST backend against a scripted fake server: retries, auth, errors, batching, encoding, spilling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RestClient, authorizationFromEnv } from '../../lib/tracking/http_client';
import { RestBackend, encodeArtifactPath } from '../../lib/tracking/rest_store';
import { FileStore } from '../../lib/tracking/file_store';
import { MlflowTracker } from '../../lib/tracking/tracker';
import { MlflowApiError, ParamConflictError, TrackingConnectionError } from '../../lib/tracking/errors';

interface Req {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json?: Record<string, unknown>;
}
type Handler = (req: Req) => { status?: number; body?: unknown; headers?: Record<string, string> } | undefined;

async function fakeServer(handler: Handler): Promise<{ uri: string; requests: Req[]; close: () => Promise<void> }> {
  const requests: Req[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const r: Req = { method: req.method!, url: req.url!, headers: req.headers, body };
      if (req.headers['content-type'] === 'application/json') r.json = JSON.parse(body.toString());
      requests.push(r);
      const out = handler(r) ?? { body: {} };
      res.writeHead(out.status ?? 200, { 'Content-Type': typeof out.body === 'string' ? 'text/plain' : 'application/json', ...out.headers });
      res.end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const fast = { maxRetries: 3, backoffMs: 5, authorization: null } as const;
const RUN_ID = 'a'.repeat(32);
const runJson = { run: { info: { run_id: RUN_ID, experiment_id: '7', run_name: 'r', status: 'RUNNING', start_time: '1700000000000', artifact_uri: `mlflow-artifacts:/7/${RUN_ID}/artifacts` }, data: {} } };

/** A tiny MLflow: experiment 7 exists, runs/create returns RUN_ID, everything else `{}`. */
const mlflowLike: Handler = (r) => {
  if (r.url.startsWith('/api/2.0/mlflow/experiments/get-by-name')) return { body: { experiment: { experiment_id: '7', name: 'e', lifecycle_stage: 'active' } } };
  if (r.url === '/api/2.0/mlflow/runs/create') return { body: runJson };
  return undefined;
};

test('retries 503/429 (honouring Retry-After) and connection resets, then succeeds', async (t) => {
  let n = 0;
  const srv = await fakeServer(() => {
    n++;
    if (n === 1) return { status: 503, body: 'upstream down' };
    if (n === 2) return { status: 429, body: { error_code: 'REQUEST_LIMIT_EXCEEDED' }, headers: { 'Retry-After': '0' } };
    return { body: { ok: true } };
  });
  t.after(srv.close);
  const c = new RestClient({ uri: srv.uri, ...fast });
  assert.deepEqual(await c.api('GET', 'x/y', { a: 'b c' }), { ok: true });
  assert.equal(srv.requests.length, 3);
  assert.equal(srv.requests[2].url, '/api/2.0/mlflow/x/y?a=b+c');
  c.close();
});

test('gives up with TrackingConnectionError after the retries; 4xx errors are not retried', async (t) => {
  const srv = await fakeServer((r) =>
    r.url.includes('bad') ? { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'nope' } } : r.url.includes('auth') ? { status: 401, body: 'Unauthorized' } : { status: 502, body: 'bad gateway' },
  );
  t.after(srv.close);
  const c = new RestClient({ uri: srv.uri, ...fast });
  await assert.rejects(c.api('POST', 'down'), (e: Error) => e instanceof TrackingConnectionError && /4 attempts: HTTP 502: bad gateway/.test(e.message));
  assert.equal(srv.requests.length, 4);
  await assert.rejects(c.api('POST', 'bad'), (e: Error) => e instanceof MlflowApiError && e.errorCode === 'INVALID_PARAMETER_VALUE' && /POST bad failed: INVALID_PARAMETER_VALUE \(HTTP 400\): nope/.test(e.message));
  await assert.rejects(c.api('GET', 'auth'), (e: Error) => e instanceof MlflowApiError && e.httpStatus === 401 && /Unauthorized.*MLFLOW_TRACKING_USERNAME/.test(e.message));
  assert.equal(srv.requests.length, 6);
  c.close();
  // Nothing listening at all.
  const dead = new RestClient({ uri: 'http://127.0.0.1:9', maxRetries: 1, backoffMs: 1 });
  await assert.rejects(dead.api('GET', 'x'), (e: Error) => e instanceof TrackingConnectionError && /cannot reach MLflow at http:\/\/127.0.0.1:9/.test(e.message));
  dead.close();
});

test('auth from MLflow env vars: Basic wins over Bearer; ~/.mlflow/credentials as fallback', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-cred-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const none = join(dir, 'none');
  assert.equal(authorizationFromEnv({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p:w', MLFLOW_TRACKING_TOKEN: 't' }, none), `Basic ${Buffer.from('u:p:w').toString('base64')}`);
  assert.equal(authorizationFromEnv({ MLFLOW_TRACKING_TOKEN: 'tok' }, none), 'Bearer tok');
  assert.equal(authorizationFromEnv({}, none), undefined);
  const cred = join(dir, 'credentials');
  writeFileSync(cred, '[other]\nmlflow_tracking_username = x\n[mlflow]\nmlflow_tracking_username = fu\nmlflow_tracking_password = fp\n');
  assert.equal(authorizationFromEnv({}, cred), `Basic ${Buffer.from('fu:fp').toString('base64')}`);
  const srv = await fakeServer(() => ({ body: {} }));
  t.after(srv.close);
  const c = new RestClient({ uri: srv.uri, env: { MLFLOW_TRACKING_TOKEN: 'abc' } as NodeJS.ProcessEnv });
  await c.api('GET', 'x');
  assert.equal(srv.requests[0].headers.authorization, 'Bearer abc');
  assert.equal(srv.requests[0].headers.connection, 'keep-alive');
  c.close();
});

test('experiment get-or-create survives the create race (RESOURCE_ALREADY_EXISTS -> re-read)', async (t) => {
  let gets = 0;
  const srv = await fakeServer((r) => {
    if (r.url.startsWith('/api/2.0/mlflow/experiments/get-by-name')) {
      gets++;
      return gets === 1
        ? { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no' } }
        : { body: { experiment: { experiment_id: '3', name: 'e', lifecycle_stage: 'active' } } };
    }
    if (r.url === '/api/2.0/mlflow/experiments/create') return { status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' } };
    return undefined;
  });
  t.after(srv.close);
  const b = new RestBackend({ uri: srv.uri, ...fast });
  assert.equal(await b.getOrCreateExperiment('e', [{ key: 'mlflow.experimentKind', value: 'custom_model_development' }]), '3');
  const create = srv.requests.find((r) => r.url.endsWith('experiments/create'))!;
  assert.deepEqual(create.json, { name: 'e', tags: [{ key: 'mlflow.experimentKind', value: 'custom_model_development' }] });
  assert.equal(await b.getOrCreateExperiment('e'), '3'); // cached
  assert.equal(gets, 2);
  await b.close();
});

test('tracker over REST: system tags, batched metrics (2,500 points -> 3 requests), NaN strings, encoded artifact paths', async (t) => {
  const srv = await fakeServer(mlflowLike);
  t.after(srv.close);
  const tracker = new MlflowTracker({ backend: new RestBackend({ uri: srv.uri, ...fast }), experimentName: 'e', handleSignals: false, flushIntervalMs: 60_000 });
  const run = await tracker.startRun({ name: 'r', parent: 'b'.repeat(32), params: { a: { b: 1 } } });
  for (let i = 0; i < 2500; i++) run.logMetric(`k${i % 4}`, i === 0 ? NaN : i === 1 ? -Infinity : i, i, 1700000000000 + i);
  await run.logArtifactBytes('plots/a b%#?.svg', Buffer.from('<svg/>'));
  await run.end();
  await tracker.close();

  const create = srv.requests.find((r) => r.url.endsWith('runs/create'))!.json!;
  const tags = Object.fromEntries((create.tags as { key: string; value: string }[]).map((x) => [x.key, x.value]));
  assert.equal(create.run_name, 'r');
  assert.equal(tags['mlflow.runName'], 'r');
  assert.equal(tags['mlflow.parentRunId'], 'b'.repeat(32));
  assert.equal(tags['mlflow.source.type'], 'LOCAL');
  assert.ok(tags['mlflow.user'] && tags['mlflow.source.name']);
  assert.match(tags['mlflow.source.git.commit'] ?? '', /^[0-9a-f]{40}$/, 'tests run inside the git repo');
  const batches = srv.requests.filter((r) => r.url.endsWith('runs/log-batch')).map((r) => r.json!);
  assert.deepEqual(batches[0].params, [{ key: 'a.b', value: '1' }]);
  const metricBatches = batches.filter((b) => (b.metrics as unknown[]).length > 0);
  assert.deepEqual(metricBatches.map((b) => (b.metrics as unknown[]).length), [1000, 1000, 500]);
  const first = (metricBatches[0].metrics as { value: unknown }[]).slice(0, 3).map((m) => m.value);
  assert.deepEqual(first, ['NaN', '-Infinity', 2]);
  const put = srv.requests.find((r) => r.method === 'PUT')!;
  assert.equal(put.url, `/api/2.0/mlflow-artifacts/artifacts/7/${RUN_ID}/artifacts/plots/a%20b%25%23%3F.svg`);
  assert.equal(put.headers['content-type'], 'image/svg+xml');
  assert.equal(put.body.toString(), '<svg/>');
  const update = srv.requests.find((r) => r.url.endsWith('runs/update'))!.json!;
  assert.equal(update.status, 'FINISHED');
  assert.equal(encodeArtifactPath('/a//b c/'), 'a/b%20c');
});

test('server-side param change error becomes ParamConflictError', async (t) => {
  const srv = await fakeServer((r) =>
    r.url.endsWith('runs/log-batch')
      ? { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: `Changing param values is not allowed. Params were already logged='[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.2'}]' for run ID='${RUN_ID}'.` } }
      : mlflowLike(r),
  );
  t.after(srv.close);
  const b = new RestBackend({ uri: srv.uri, ...fast });
  await assert.rejects(b.logBatch(RUN_ID, { params: [{ key: 'lr', value: '0.2' }] }), (e: Error) => {
    assert.ok(e instanceof ParamConflictError);
    assert.equal(e.message, `param 'lr' of run ${RUN_ID} is already "0.1"; cannot change it to "0.2" (MLflow params are immutable: start a new or child run per configuration)`);
    return true;
  });
  await b.close();
});

test('server unreachable mid-run: metrics, tags and artifacts spill to the local store, marked for sync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-spill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await fakeServer(mlflowLike);
  const warnings: string[] = [];
  const tracker = new MlflowTracker({
    backend: new RestBackend({ uri: srv.uri, maxRetries: 1, backoffMs: 1, authorization: null }),
    spillStore: new FileStore(dir),
    experimentName: 'e',
    handleSignals: false,
    warn: (m) => warnings.push(m),
  });
  const run = await tracker.startRun({ name: 'r', params: { lr: 0.1 } });
  run.logMetric('loss', 1, 0, 1000);
  await run.flush();
  await srv.close(); // the server goes away
  run.logMetric('loss', 0.5, 1, 1001);
  await run.setTags({ phase: 'after' });
  await run.logText('late.txt', 'late');
  assert.equal(run.spilled, true);
  assert.equal(run.runId, RUN_ID, 'the handle keeps the server run id');
  await assert.rejects(run.logParams({ lr: 0.2 }), ParamConflictError, 'known params still checked');
  await run.end('FINISHED');
  assert.match(warnings.join('\n'), /continues in the local store .*semantic-srn mlflow sync/);

  const store = new FileStore(dir);
  const [exp] = store.listExperiments().filter((e) => e.name === 'e');
  const [local] = store.listRuns(exp.experimentId).map((r) => store.readRun(r.runId));
  assert.equal(local.tags['semantic_srn.spill.server_run_id'], RUN_ID);
  assert.equal(local.tags['semantic_srn.spill.tracking_uri'], srv.uri);
  assert.equal(local.tags.phase, 'after');
  assert.deepEqual(local.params, { lr: '0.1' });
  assert.deepEqual(local.metrics.loss.map((m) => [m.step, m.value, m.timestamp]), [[1, 0.5, 1001]]);
  assert.deepEqual(store.listArtifactFiles(local.info.runId), ['late.txt']);
  assert.equal(local.info.status, 'FINISHED');

  // A new run while the server is still down lives wholly in the local store.
  const offline = await tracker.startRun({ name: 'offline' });
  assert.equal(offline.spilled, true);
  const child = await tracker.startRun({ name: 'kid', parent: offline });
  await child.end();
  await offline.end();
  const readBack = store.readRun(offline.runId);
  assert.equal(readBack.tags['semantic_srn.spill.tracking_uri'], srv.uri);
  assert.equal(store.readRun(child.runId).tags['mlflow.parentRunId'], offline.runId);
  await tracker.close();
});
