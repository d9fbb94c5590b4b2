/** The loss terms of spec/reference.md §3 against hand-computed values, and the stage weights that scale them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { LINEAR_CE_WEIGHTS, RGB_LOSS_WEIGHTS, SEMANTIC_LOSS_WEIGHTS } from '../../lib/config/defaults';
import { crossEntropyLoss, depthLoss, imageLoss, latentLoss, weightedTotal } from '../../lib/losses';
import { useBackend } from '../helpers/tf';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

test('imageLoss: plain MSE over every RGBA element', async () => {
  await useBackend('cpu');
  const pred = tf.tensor3d([[[0.5, 0.1, -0.2, 1], [0, 0, 0, 1]]]);
  const gt = tf.tensor3d([[[0.3, 0.1, 0.2, 1], [1, -1, 0.5, 0]]]);
  // (0.04 + 0 + 0.16 + 0 + 1 + 1 + 0.25 + 1) / 8
  close(value(imageLoss(pred, gt)), 3.45 / 8);
  tf.dispose([pred, gt]);
});

test('depthLoss: 10,000 · mean(min(d, 0)²), positive depths cost nothing', async () => {
  await useBackend('cpu');
  const d = tf.tensor2d([[-0.1, 0.2], [-0.3, 0]]);
  close(value(depthLoss(d)), 1e4 * ((0.01 + 0.09) / 4));
  const pos = tf.tensor2d([[0.5, 2]]);
  assert.equal(value(depthLoss(pos)), 0);
  tf.dispose([d, pos]);
});

test('crossEntropyLoss: mean over every pixel, background (class 0) included', async () => {
  await useBackend('cpu');
  const logits = [
    [2, 0.5, -1],
    [0, 1, 3],
    [1, 1, 1],
  ];
  const labels = [0, 2, 1]; // the first pixel is background and counts like any other
  const lse = (r: number[]) => Math.log(r.reduce((s, x) => s + Math.exp(x), 0));
  const want = logits.reduce((s, r, i) => s + lse(r) - r[labels[i]], 0) / 3;
  const L = tf.tensor3d([logits]);
  const y = tf.tensor2d([labels], undefined, 'int32');
  close(value(crossEntropyLoss(L, y)), want);
  // Dropping the background pixel changes the value: it is not masked out.
  const fg = tf.tensor3d([logits.slice(1)]);
  const yfg = tf.tensor2d([labels.slice(1)], undefined, 'int32');
  assert.ok(Math.abs(value(crossEntropyLoss(fg, yfg)) - want) > 1e-3);
  tf.dispose([L, y, fg, yfg]);
});

test('latentLoss: mean(z²) over B·D', async () => {
  await useBackend('cpu');
  const z = tf.tensor2d([[1, -2], [0.5, 0]]);
  close(value(latentLoss(z)), (1 + 4 + 0.25) / 4);
  z.dispose();
});

test('weightedTotal with the stage weights: 200·MSE + latent + 1e-3·depth (RGB), + 8·CE (semantic), 8·CE alone (probe)', async () => {
  await useBackend('cpu');
  assert.deepEqual(RGB_LOSS_WEIGHTS, { img: 200, ce: 0, latent: 1, depth: 1e-3 });
  assert.deepEqual(SEMANTIC_LOSS_WEIGHTS, { img: 200, ce: 8, latent: 1, depth: 1e-3 });
  assert.deepEqual(LINEAR_CE_WEIGHTS, { img: 0, ce: 8, latent: 0, depth: 0 });
  const terms = { img: tf.scalar(0.01), ce: tf.scalar(0.7), latent: tf.scalar(0.3), depth: tf.scalar(250) };
  const n = tf.memory().numTensors;
  close(value(weightedTotal(terms, RGB_LOSS_WEIGHTS)), 200 * 0.01 + 0.3 + 1e-3 * 250);
  close(value(weightedTotal(terms, SEMANTIC_LOSS_WEIGHTS)), 200 * 0.01 + 8 * 0.7 + 0.3 + 1e-3 * 250);
  close(value(weightedTotal(terms, LINEAR_CE_WEIGHTS)), 8 * 0.7);
  // Absent terms are skipped, whatever their weight.
  close(value(weightedTotal({ img: terms.img }, SEMANTIC_LOSS_WEIGHTS)), 2);
  assert.equal(tf.memory().numTensors, n, 'no intermediate sums or products left behind');
  tf.dispose(Object.values(terms));
});

test('the loss functions leave no tensors behind', async () => {
  await useBackend('cpu');
  const a = tf.ones([2, 3, 4]);
  const l = tf.zeros([2, 3], 'int32');
  const n = tf.memory().numTensors;
  for (const t of [imageLoss(a, a), depthLoss(a), latentLoss(a), crossEntropyLoss(a, l)]) t.dispose();
  assert.equal(tf.memory().numTensors, n);
  tf.dispose([a, l]);
});
