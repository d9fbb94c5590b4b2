// A dead and a hung (stalled, not closed) tracking server, and runs left RUNNING by a killed process:
// nothing is lost (spilled locally, and said so), waits are bounded, and no run stays RUNNING (findings 4, 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RestBackend } from '../../lib/tracking/rest_store';
import { FileStore } from '../../lib/tracking/file_store';
import { MlflowTracker } from '../../lib/tracking/tracker';
import { FAILURE_TAG, RESUMED_TAG } from '../../lib/tracking/lifecycle';

const RUN_ID = 'b'.repeat(32);
const runJson = { run: { info: { run_id: RUN_ID, experiment_id: '7', run_name: 'r', status: 'RUNNING', start_time: '1700000000000', artifact_uri: `mlflow-artifacts:/7/${RUN_ID}/artifacts` }, data: {} } };

/** An MLflow stand-in on 127.0.0.1 that answers until `hang()`, then accepts requests and never answers them. */
async function stallingServer() {
  let hung = false;
  const stalled: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (hung) return void stalled.push(res); // like a SIGSTOPped server: the connection stays open, silent
      const url = req.url ?? '';
      const body = url.startsWith('/api/2.0/mlflow/experiments/get-by-name')
        ? { experiment: { experiment_id: '7', name: 'e', lifecycle_stage: 'active' } }
        : url === '/api/2.0/mlflow/runs/create' ? runJson : {};
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stop = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  const guard = setTimeout(() => void stop(), 30_000); // stops by itself whatever happens
  guard.unref();
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: () => { hung = true; },
    stalled,
    stop: async () => { clearTimeout(guard); await stop(); },
  };
}

function spillTracker(uri: string, dir: string, warnings: string[]) {
  return new MlflowTracker({
    // The default per-attempt timeout (120 s) stays: the request deadline alone must bound the wait.
    backend: new RestBackend({ uri, maxRetries: 5, backoffMs: 50, deadlineMs: 1500, authorization: null }),
    spillStore: new FileStore(dir),
    experimentName: 'e',
    handleSignals: false,
    warn: (m) => warnings.push(m),
  });
}

function localRun(dir: string) {
  const store = new FileStore(dir);
  const [exp] = store.listExperiments().filter((e) => e.name === 'e');
  return store.listRuns(exp.experimentId).map((r) => store.readRun(r.runId));
}

test('hung server mid-run: the run spills within the request deadline and says so; ending never waits longer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-hung-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await stallingServer();
  t.after(() => srv.stop());
  const warnings: string[] = [];
  const tracker = spillTracker(srv.uri, dir, warnings);
  const run = await tracker.startRun({ name: 'r', params: { lr: 0.1 } });
  srv.hang();
  for (let s = 0; s < 600; s++) run.logMetric('loss', 1 / (s + 1), s, 1000 + s);
  await run.logText('results.json', '{}');
  const t0 = Date.now();
  await run.end('FINISHED');
  await tracker.close();
  const waited = Date.now() - t0;
  assert.ok(srv.stalled.length >= 1, 'the server did receive (and stall) a request');
  assert.ok(waited < 1500 + 2000, `end() waited ${waited} ms with a 1.5 s request deadline`);
  assert.equal(run.spilled, true);
  assert.match(warnings.join('\n'), /no answer for .* s \(server hung or overloaded\?\).*continues in the local store .*semantic-srn mlflow sync/s);
  const [local] = localRun(dir);
  assert.equal(local.tags['semantic_srn.spill.server_run_id'], RUN_ID);
  assert.equal(local.metrics.loss.length, 600, 'every metric point kept');
  assert.equal(local.info.status, 'FINISHED');
});

test('dead server at start: the whole run is written locally, with the command to sync it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-dead-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await stallingServer();
  await srv.stop(); // nothing listens on that port any more
  const warnings: string[] = [];
  const tracker = spillTracker(srv.uri, dir, warnings);
  const t0 = Date.now();
  const run = await tracker.startRun({ name: 'offline', params: { lr: 0.1 } });
  run.logMetric('loss', 0.5, 1);
  await run.end('FINISHED');
  assert.ok(Date.now() - t0 < 3500, 'bounded by the deadline');
  assert.match(warnings.join('\n'), new RegExp(`cannot reach MLflow at ${srv.uri.replace(/\./g, '\\.')}.*written to ${dir.replace(/\./g, '\\.')} instead \\(sync it later: semantic-srn mlflow sync`));
  const [local] = localRun(dir);
  assert.equal(local.info.status, 'FINISHED');
  assert.deepEqual(local.params, { lr: '0.1' });
});

test('a run left RUNNING by a killed process is marked FAILED at the next start, or continued when resuming', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-lease-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'mlruns');
  const lease = join(dir, 'run', 'tracking-run.json');
  const warnings: string[] = [];
  const tracker = () => new MlflowTracker({ backend: new FileStore(store), experimentName: 'e', handleSignals: false, systemTags: false, warn: (m) => warnings.push(m) });
  const read = (id: string) => new FileStore(store).readRun(id);
  // The runs below are left open as a killed process leaves them; the lease then names a process that is gone.
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const die = () => writeFileSync(lease, JSON.stringify({ ...JSON.parse(readFileSync(lease, 'utf8')), pid: deadPid }));

  // 1st process: starts its run, then dies (never ends it): the lease stays, the run is RUNNING.
  const a = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: true } });
  assert.equal(JSON.parse(readFileSync(lease, 'utf8')).runId, a.runId);
  // While its owner lives, a second start of the same command does not take the run over.
  const live = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: true } });
  assert.notEqual(live.runId, a.runId);
  await live.end();
  writeFileSync(lease, JSON.stringify({ uri: new FileStore(store).uri, runId: a.runId, local: false, pid: deadPid }));
  // 2nd process resumes: the same run continues (no second, unlinked run).
  const b = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: true } });
  assert.equal(b.runId, a.runId);
  assert.ok(read(b.runId).tags[RESUMED_TAG]);
  assert.match(warnings.join('\n'), new RegExp(`continuing run ${a.runId}, left RUNNING by process \\d+`));
  die();
  // ... and dies too. The 3rd starts from scratch: the dead run is marked FAILED with the reason.
  const c = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: false } });
  assert.notEqual(c.runId, a.runId);
  assert.equal(read(a.runId).info.status, 'FAILED');
  assert.match(read(a.runId).tags[FAILURE_TAG], /died without ending the run \(killed\?\)/);
  await c.end('FINISHED');
  assert.ok(!existsSync(lease), 'a run that ends removes its lease');
  assert.equal(read(c.runId).info.status, 'FINISHED');
  // A dead run with another config is not continued: it is FAILED as superseded and a new run starts.
  const d = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: true } });
  die();
  const e = await tracker().startRun({ name: 'q', params: { steps: 20 }, lease: { file: lease, resume: true } });
  assert.notEqual(e.runId, d.runId);
  assert.equal(read(d.runId).info.status, 'FAILED');
  assert.match(read(d.runId).tags[FAILURE_TAG], /superseded/);
  await e.end();
  // A lease written on another machine (a shared folder) names a pid that means nothing here: its run is left alone.
  const f = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: true } });
  const written = JSON.parse(readFileSync(lease, 'utf8'));
  assert.deepEqual([written.host, written.cwd, written.command], [hostname(), process.cwd(), process.argv.slice(1).join(' ').slice(0, 300)], 'its machine, folder and command (what status prints to resume it)');
  writeFileSync(lease, JSON.stringify({ ...JSON.parse(readFileSync(lease, 'utf8')), pid: deadPid, host: 'another-machine' }));
  const g = await tracker().startRun({ name: 'q', params: { steps: 10 }, lease: { file: lease, resume: true } });
  assert.notEqual(g.runId, f.runId);
  assert.equal(read(f.runId).info.status, 'RUNNING', 'not continued, not marked FAILED');
  await g.end();
});
