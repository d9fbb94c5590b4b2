/** Reflection padding with PyTorch's gradient (TF.js's MirrorPad gradient drops the mirrored borders' share). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { reflectPad } from '../../lib/srn/reflect_pad';
import { Rng } from '../../lib/util/random';
import { useBackend } from '../helpers/tf';

before(async () => useBackend());

/** Source index of padded position p along an axis of length n padded by p0 before (reflect, no edge repeat). */
const src = (p: number, p0: number, n: number) => {
  const i = p - p0;
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
};

test('reflectPad: the values of tf.mirrorPad, and the gradient folds every mirrored copy back onto its source pixel', () => {
  const [B, H, W, C] = [2, 5, 4, 3];
  const [top, bottom, left, right] = [2, 1, 1, 3];
  const rng = new Rng(7);
  const xs = Float32Array.from({ length: B * H * W * C }, () => rng.uniform(-1, 1));
  const Hp = H + top + bottom;
  const Wp = W + left + right;
  const ws = Float32Array.from({ length: B * Hp * Wp * C }, () => rng.uniform(-1, 1));
  const tensors = tf.memory().numTensors;
  const { value, grad } = tf.tidy(() => {
    const x = tf.tensor4d(xs, [B, H, W, C]);
    const w = tf.tensor4d(ws, [B, Hp, Wp, C]);
    const v = reflectPad(x, top, bottom, left, right);
    const ref = tf.mirrorPad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], 'reflect');
    assert.deepEqual(Array.from(v.dataSync()), Array.from(ref.dataSync()));
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(reflectPad(a as tf.Tensor4D, top, bottom, left, right), w)))(x);
    return { value: v.shape, grad: g.dataSync() as Float32Array };
  });
  assert.deepEqual(value, [B, Hp, Wp, C]);
  // d/dx Σ w·pad(x): every padded position adds its weight to the pixel it copied.
  const want = new Float32Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < Hp; y++)
      for (let x = 0; x < Wp; x++)
        for (let c = 0; c < C; c++) want[((b * H + src(y, top, H)) * W + src(x, left, W)) * C + c] += ws[((b * Hp + y) * Wp + x) * C + c];
  grad.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-5, `dx[${i}] = ${g}, expected ${want[i]}`));
  assert.equal(tf.memory().numTensors, tensors);
  assert.throws(() => reflectPad(tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, 2, 0, 0, 0), /must be smaller than the image 2×2/);
});
