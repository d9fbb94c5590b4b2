/** Shared test helpers for TF.js code. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { selectBackend, type ConcreteBackend } from '../../lib/backend/select';

/** Initialise a backend for a test file (default: SRN_TEST_BACKEND, else cpu). */
export async function useBackend(name?: ConcreteBackend): Promise<void> {
  const chosen = name ?? (process.env.SRN_TEST_BACKEND as ConcreteBackend | undefined) ?? 'cpu';
  await selectBackend({ backend: chosen });
}

/** Runs `step` n times and fails if the live tensor count grows after the first (warm-up) call. */
export async function assertNoTensorLeak(step: () => unknown | Promise<unknown>, n = 3): Promise<void> {
  await step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < n; i++) await step();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `tensor count grew from ${before} to ${after} over ${n} steps`);
}

/** Max absolute difference between two tensors or arrays. */
/** Largest absolute difference over max(1, largest |a|): a relative error that tolerates values near 0. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length mismatch ${a.length} vs ${b.length}`);
  let scale = 1;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return d / scale;
}

export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const x = a instanceof tf.Tensor ? a.dataSync() : a;
  const y = b instanceof tf.Tensor ? b.dataSync() : b;
  assert.equal(x.length, y.length, `length mismatch ${x.length} vs ${y.length}`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}
