import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../lib/tracking/file_store';
import { loadCheckpoint } from '../../lib/training/checkpoint';

async function interrupt(signal: NodeJS.Signals) {
  const dir = mkdtempSync(join(tmpdir(), 'srn-signal-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'interrupted_run.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const runId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready ([0-9a-f]{32})/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, sig) => r({ code, signal: sig })));
    child.kill(signal);
    const { code, signal: got } = await exited;
    assert.equal(got, signal, `child re-raises ${signal} after ending its runs (code ${code})`);
    const run = new FileStore(dir).readRun(runId);
    assert.equal(run.info.status, 'KILLED');
    assert.equal(typeof run.info.endTime, 'number');
    assert.deepEqual(run.metrics.loss.map((m) => m.step), [0, 1, 2, 3, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SIGTERM ends open runs as KILLED (buffered metrics flushed) and the process still dies of SIGTERM', () => interrupt('SIGTERM'));
test('SIGINT does the same', () => interrupt('SIGINT'));

test('a script that never calls end() still gets its metrics flushed and its run ended FINISHED', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-forget-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'interrupted_run.ts'), dir, 'forget'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0);
    const runId = /ready ([0-9a-f]{32})/.exec(out)![1];
    const run = new FileStore(dir).readRun(runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.metrics.loss.length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT during training: the stage finishes its step and writes its checkpoint, then the run ends KILLED', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-signal-train-'));
  try {
    const ck = join(dir, 'ck');
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'interrupted_training.ts'), join(dir, 'mlruns'), ck], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /step 3 ([0-9a-f]{32})/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    child.kill('SIGINT');
    assert.equal(await exited, 'SIGINT');
    const stopped = /stopped (\d+) aborted=true/.exec(out);
    assert.ok(stopped, `the stage returned aborted: ${out.slice(-200)}`);
    const step = Number(stopped[1]);
    assert.ok(step >= 3 && step < 100_000, `stopped at ${step}`);
    // The checkpoint holds exactly the steps done (none was due before step 10,000).
    assert.equal(loadCheckpoint(ck).manifest.step, step);
    const run = new FileStore(join(dir, 'mlruns')).readRun(runId);
    assert.equal(run.info.status, 'KILLED');
    assert.equal(run.metrics.loss.length, step);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
