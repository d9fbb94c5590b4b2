/** denseLayerNormRelu against a composition of plain tf ops, on cpu and on patched wasm. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { denseLayerNormRelu, layerNorm } from '../../lib/backend/fused_dense';
import { selectBackend } from '../../lib/backend/select';
import { assertNoTensorLeak, maxRelDiff } from '../helpers/tf';

const rnd = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

interface Case {
  name: string;
  x: number[];
  W: number[];
  b: number[];
  affine: boolean;
  relu: boolean;
}

const OUT = 24;
const CASES: Case[] = [
  { name: '2-D', x: [40, 12], W: [12, OUT], b: [OUT], affine: false, relu: true },
  { name: '2-D affine', x: [40, 12], W: [12, OUT], b: [OUT], affine: true, relu: true },
  { name: '2-D no relu', x: [40, 12], W: [12, OUT], b: [OUT], affine: true, relu: false },
  { name: 'batched, b [B,1,out]', x: [3, 20, 12], W: [3, 12, OUT], b: [3, 1, OUT], affine: false, relu: true },
  { name: 'batched affine, b [out]', x: [3, 20, 12], W: [3, 12, OUT], b: [OUT], affine: true, relu: true },
];

/** [value, dx, dW, db, (dgamma, dbeta)] of sum(f(...)·w) for the fused op or the op-by-op reference. */
function evaluate(c: Case, fused: boolean): Float32Array[] {
  return tf.tidy(() => {
    const inputs = [rnd(c.x, 1), rnd(c.W, 2), rnd(c.b, 3)];
    if (c.affine) inputs.push(tf.add(1, rnd([OUT], 4)), rnd([OUT], 5));
    const f = (...t: tf.Tensor[]) => {
      const [x, W, b, gamma, beta] = t;
      if (fused) return denseLayerNormRelu(x, W, b, { gamma, beta, relu: c.relu, eps: 1e-5 });
      const y = layerNorm(tf.add(tf.matMul(x, W), b), 1e-5, gamma, beta);
      return c.relu ? tf.relu(y) : y;
    };
    const y = f(...inputs);
    const w = rnd(y.shape, 6);
    const grads = tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(f(...t), w)))(inputs);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`denseLayerNormRelu on ${backend}`, () => {
    for (const c of CASES) {
      it(`${c.name}: values and gradients match plain ops`, async () => {
        await selectBackend({ backend });
        const got = evaluate(c, true);
        const ref = evaluate(c, false);
        assert.equal(got.length, c.affine ? 6 : 4);
        got.forEach((g, i) => assert.ok(maxRelDiff(g, ref[i]) < 2e-5, `output ${i}: ${maxRelDiff(g, ref[i])}`));
      });
    }
    it('does not leak tensors (forward + gradients)', async () => {
      await selectBackend({ backend });
      const x = rnd([3, 20, 12], 1);
      const W = rnd([3, 12, OUT], 2);
      const b = rnd([3, 1, OUT], 3);
      const gamma = tf.ones([OUT]);
      await assertNoTensorLeak(() =>
        tf.tidy(() => {
          denseLayerNormRelu(x, W, b);
          tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(denseLayerNormRelu(p, q, b, { gamma })))([x, W]);
        }),
      );
      tf.dispose([x, W, b, gamma]);
    });
  });
}

describe('denseLayerNormRelu across backends and inputs', () => {
  it('cpu and wasm agree', async () => {
    await selectBackend({ backend: 'cpu' });
    const ref = evaluate(CASES[4], true);
    await selectBackend({ backend: 'wasm' });
    const got = evaluate(CASES[4], true);
    got.forEach((g, i) => assert.ok(maxRelDiff(g, ref[i]) < 2e-5, `output ${i}`));
  });
  it('rejects mismatched shapes with a message naming the operand', () => {
    const x = tf.zeros([4, 3]);
    assert.throws(() => denseLayerNormRelu(x, tf.zeros([5, 2]), tf.zeros([2])), /W must be \[3, out\]/);
    assert.throws(() => denseLayerNormRelu(x, tf.zeros([3, 2]), tf.zeros([3])), /b must be \[2\]/);
    assert.throws(() => denseLayerNormRelu(x, tf.zeros([3, 2]), tf.zeros([2]), { gamma: tf.zeros([3]) }), /gamma must be \[2\]/);
  });
  it('layerNorm normalises the last axis (zero mean, unit biased variance)', () => {
    const y = layerNorm(rnd([5, 32], 7));
    const { mean, variance } = tf.moments(y, -1);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 1e-3);
  });
});
