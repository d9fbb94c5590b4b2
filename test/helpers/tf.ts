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
export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const x = a instanceof tf.Tensor ? a.dataSync() : a;
  const y = b instanceof tf.Tensor ? b.dataSync() : b;
  assert.equal(x.length, y.length, `length mismatch ${x.length} vs ${y.length}`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}
