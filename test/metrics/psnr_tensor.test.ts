import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { psnr, PsnrScores } from '../../lib/metrics/psnr';
import { argmaxLabels, logitsToLabelMaps } from '../../lib/metrics/tensor';
import { useBackend } from '../helpers/tf';

before(async () => useBackend());

test('PSNR maps [-1,1] to [0,1] and clips the prediction', () => {
  // 0 vs 1 in [-1,1] is 0.5 vs 1 in [0,1]: MSE 0.25 → 10·log10(4) dB
  assert.ok(Math.abs(psnr([0, 0, 0, 0], [1, 1, 1, 1]) - 10 * Math.log10(4)) < 1e-9);
  // white vs black: MSE 1 → 0 dB
  assert.equal(psnr([1, 1], [-1, -1]), 0);
  // prediction 3 clips to 1 = target → exact
  assert.equal(psnr([3, -5], [1, -1]), Infinity);
  assert.throws(() => psnr([0], [0, 0]), /prediction has 1 values but ground truth has 2/);
});

test('PsnrScores averages finite per-image PSNR and counts exact matches', () => {
  const s = new PsnrScores();
  s.add([0, 0], [1, 1]);
  s.add([1, 1], [-1, -1]);
  s.add([1], [1]);
  const sum = s.summary();
  assert.equal(sum.images, 3);
  assert.equal(sum.exact, 1);
  assert.ok(Math.abs(sum.psnr - (10 * Math.log10(4)) / 2) < 1e-9);
});

test('argmax helpers turn logits into host label maps without leaking', async () => {
  const logits = tf.tensor3d([[[0, 2, 1], [5, 0, 0]], [[0, 0, 1], [0, 3, 0]]]); // [N=2, P=2, C=3]
  const before = tf.memory().numTensors;
  const maps = await logitsToLabelMaps(logits);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(maps.map((m) => Array.from(m)), [[1, 0], [2, 1]]);
  const t = argmaxLabels(logits);
  assert.equal(t.dtype, 'int32');
  assert.deepEqual(t.shape, [2, 2]);
  t.dispose();
  await assert.rejects(logitsToLabelMaps(tf.zeros([3])), /expected logits \[P, C\] or \[N, P, C\]/);
  logits.dispose();
});
