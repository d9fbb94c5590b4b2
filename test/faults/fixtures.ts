/** Shared by the fault-injection tests: a tiny config, sphere views, and a data source that goes NaN at a chosen step. */
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../../lib/config';
import { memorySource, type BatchSource } from '../../lib/training';
import { sphereViews } from '../training/fixtures';

export const quiet = { onProgress: false as const };

/** The `tiny` preset at 8² with 2 objects: a step takes milliseconds. */
export function tinyConfig(steps: number) {
  return presetConfig('tiny', { training: { pretrain: { schedule: [{ side: 8, batchSize: 2, steps }] } } });
}

export const tinyViews = () => [...sphereViews(8, 3, 0), ...sphereViews(8, 3, 1)];

/** The views' source, except that the batch of 1-based step `k` has NaN colours (so that step's image loss is NaN). */
export function nanAtStep(k: number): BatchSource {
  const src = memorySource(tinyViews());
  return {
    numInstances: src.numInstances,
    batch(step, batchSize, side) {
      const b = src.batch(step, batchSize, side);
      if (step + 1 !== k) return b;
      const rgba = b.rgba;
      b.rgba = tf.mul(rgba, NaN) as tf.Tensor3D;
      rgba.dispose();
      return b;
    },
  };
}
