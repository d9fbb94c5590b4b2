/** Backend selection: SRN_BACKEND, errors, the report, and the opt-in wasm threads. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, parseNativeThreads, selectBackend } from '../../lib/backend/select';
import { isKernelFixed } from '../../lib/backend/wasm_kernels';

const saved = { backend: process.env.SRN_BACKEND, threads: process.env.SRN_WASM_THREADS, native: process.env.SRN_NATIVE_THREADS };
afterEach(() => {
  for (const [k, v] of [['SRN_BACKEND', saved.backend], ['SRN_WASM_THREADS', saved.threads], ['SRN_NATIVE_THREADS', saved.native]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('selectBackend', () => {
  it('auto lists the skipped native backends with reasons, and patches wasm', async () => {
    delete process.env.SRN_BACKEND;
    // Threads are opt-in; asking here also exercises the workaround (or its clean fallback).
    const r = await selectBackend({ wasmThreads: 2 });
    const names = r.skipped.map((s) => s.backend);
    if (r.chosen === 'wasm') {
      assert.deepEqual(names, ['node-gpu', 'webgpu', 'node']);
      for (const s of r.skipped) assert.ok(s.reason.length > 0, `${s.backend} has a reason`);
      assert.ok(r.wasm);
      assert.equal(r.wasm.kernelFixes, true);
      assert.equal(r.wasm.threadsRequested, 2);
      // Either two threads run or the report says why not.
      assert.ok(r.wasm.threads === 2 || (r.wasm.threads === 1 && r.wasm.threadsReason), describeBackend(r));
      assert.ok(isKernelFixed('BatchMatMul'));
      assert.match(describeBackend(r), /backend: wasm .*skipped node-gpu \[/);
      // Works, threaded or not.
      const y = tf.matMul(tf.ones([64, 32]), tf.ones([64, 16]), true, false);
      assert.equal(y.dataSync()[0], 64);
      y.dispose();
    } else {
      assert.notEqual(r.chosen, 'cpu', `wasm should load here: ${describeBackend(r)}`);
    }
  });

  it('honours SRN_BACKEND=cpu', async () => {
    process.env.SRN_BACKEND = 'cpu';
    const r = await selectBackend();
    assert.equal(r.chosen, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  it('rejects a bad SRN_BACKEND with an error naming it', async () => {
    process.env.SRN_BACKEND = 'gpu-please';
    await assert.rejects(selectBackend(), /SRN_BACKEND.*gpu-please/);
  });

  it('rejects a bad SRN_WASM_THREADS with an error naming it', async () => {
    process.env.SRN_WASM_THREADS = 'lots';
    await assert.rejects(selectBackend({ backend: 'wasm' }), /SRN_WASM_THREADS.*lots/);
  });

  it('reports why threads cannot be added once wasm runs', async () => {
    // Start wasm single-threaded first: with a native build present, 'auto' above chose node instead.
    await selectBackend({ backend: 'wasm' });
    await selectBackend({ backend: 'cpu' });
    const r = await selectBackend({ backend: 'wasm', wasmThreads: 3 });
    assert.equal(r.chosen, 'wasm');
    // Same process: wasm is already initialised (threaded or not) and is reused, with the reason.
    assert.ok(r.wasm && r.wasm.threads >= 1);
    assert.match(r.wasm.threadsReason ?? '', /already initialised/);
  });

  it('rejects a bad SRN_NATIVE_THREADS or nativeThreads with an error naming it', async () => {
    process.env.SRN_NATIVE_THREADS = '0';
    await assert.rejects(selectBackend({ backend: 'node' }), /SRN_NATIVE_THREADS: expected an integer from 1 to 256, got '0'/);
    delete process.env.SRN_NATIVE_THREADS;
    assert.throws(() => parseNativeThreads(1.5), /nativeThreads: .* got '1.5'/);
    assert.equal(parseNativeThreads('3', 'x'), 3);
  });

  it('node: SRN_NATIVE_THREADS sets TensorFlow\'s intra-op threads at first load; a later request says why it cannot apply', (t) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'native_threads.ts')], {
      env: { ...process.env, SRN_NATIVE_THREADS: '1', TF_NUM_INTRAOP_THREADS: '' },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    if (r.error) return t.skip(`native backend not available: ${r.error}`);
    assert.equal(r.env, '1');
    assert.equal(r.first.intraOpThreads, 1);
    assert.equal(r.first.threadsReason, undefined);
    assert.equal(r.second.intraOpThreads, 1);
    assert.match(r.second.threadsReason, /already loaded in this process with 1 threads/);
    // setup:native builds the kernels next to the binding: with the binding present they must load.
    assert.equal(r.first.fusedKernels, true, r.first.fusedKernelsReason);
  });
});
