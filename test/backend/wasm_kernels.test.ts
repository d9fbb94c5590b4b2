/** The wasm kernel fixes against the cpu backend: values, gradients, and no leaks. */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { installWasmKernelFixes, isKernelFixed, WASM_KERNEL_FIXES } from '../../lib/backend/wasm_kernels';
import { selectBackend } from '../../lib/backend/select';
import { assertNoTensorLeak } from '../helpers/tf';

type Fn = () => tf.Tensor | tf.Tensor[];

const rnd = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

function run(fn: Fn): Float32Array[] {
  return tf.tidy(() => {
    const r = fn();
    return (Array.isArray(r) ? r : [r]).map((t) => Float32Array.from(t.dataSync()));
  });
}

/** Runs fn on cpu and on wasm and checks the outputs agree (relative to their magnitude). */
async function agree(fn: Fn, tol = 2e-5): Promise<void> {
  await tf.setBackend('cpu');
  const ref = run(fn);
  await tf.setBackend('wasm');
  const got = run(fn);
  assert.equal(got.length, ref.length);
  for (let i = 0; i < ref.length; i++) {
    assert.equal(got[i].length, ref[i].length, `output ${i} length`);
    let scale = 1;
    let diff = 0;
    for (let j = 0; j < ref[i].length; j++) {
      scale = Math.max(scale, Math.abs(ref[i][j]));
      diff = Math.max(diff, Math.abs(ref[i][j] - got[i][j]));
    }
    assert.ok(diff <= tol * scale, `output ${i}: max abs diff ${diff} (scale ${scale})`);
  }
}

/**
 * Value and gradients of sum(f(a,b)·w) w.r.t. both inputs. tfjs-core's BatchMatMul gradient does not reduce
 * broadcast batch dims (it throws on every backend), so broadcast cases check values only.
 */
function withGrads(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, aShape: number[], bShape: number[], grads = true): Fn {
  return () => {
    const a = rnd(aShape, 1);
    const b = rnd(bShape, 2);
    const y = f(a, b);
    if (!grads) return [y];
    const w = rnd(y.shape, 3);
    const g = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, z), w)))([a, b]);
    return [y, ...g];
  };
}

describe('wasm kernel fixes', () => {
  before(async () => {
    installWasmKernelFixes();
    installWasmKernelFixes(); // idempotent
    await selectBackend({ backend: 'wasm' });
  });

  it('replaces every listed kernel', () => {
    for (const k of WASM_KERNEL_FIXES) assert.ok(isKernelFixed(k), k);
  });

  describe('BatchMatMul', () => {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const mm = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, tA, tB);
        it(`2-D transposeA=${tA} transposeB=${tB}`, () =>
          agree(withGrads(mm, tA ? [32, 48] : [48, 32], tB ? [16, 32] : [32, 16])));
        it(`batched [4,64,32]x[4,32,16] transposeA=${tA} transposeB=${tB}`, () =>
          agree(withGrads(mm, tA ? [4, 32, 64] : [4, 64, 32], tB ? [4, 16, 32] : [4, 32, 16])));
        it(`broadcast batch 4 vs 1, transposeA=${tA} transposeB=${tB}`, () =>
          agree(withGrads(mm, tA ? [4, 32, 64] : [4, 64, 32], tB ? [1, 16, 32] : [1, 32, 16], false)));
        it(`broadcast batch 1 vs 4, transposeA=${tA} transposeB=${tB}`, () =>
          agree(withGrads(mm, tA ? [1, 32, 64] : [1, 64, 32], tB ? [4, 16, 32] : [4, 32, 16], false)));
      }
    }
    it('batched x 2-D weight (folds the batch into rows)', () =>
      agree(withGrads((a, b) => tf.matMul(a, b), [4, 64, 32], [32, 16], false)));
    it('gradients of a batch-folded product, through a reshape', () =>
      agree(withGrads((a, b) => tf.reshape(tf.matMul(tf.reshape(a, [256, 32]), b), [4, 64, 16]), [4, 64, 32], [32, 16])));
    it('wide right operand (computes the transposed product)', () => agree(withGrads((a, b) => tf.matMul(a, b), [4, 256], [256, 3000])));
    it('general batch broadcast [2,1] vs [3] matches a tiled product', async () => {
      const a = rnd([2, 1, 5, 7], 1);
      const b = rnd([3, 7, 4], 2);
      const got = tf.matMul(a, b);
      const ref = tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(tf.expandDims(b, 0), [2, 1, 1, 1]));
      assert.deepEqual(got.shape, [2, 3, 5, 4]);
      const d = tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0];
      assert.ok(d < 1e-5, `diff ${d}`);
      tf.dispose([a, b, got, ref]);
    });
    it('never reuses an XNNPACK operator packed for another [K,N] view of the same buffer', () =>
      agree(() => {
        const b = rnd([16, 8], 2);
        const y1 = tf.matMul(rnd([3, 16], 1), b);
        const y2 = tf.matMul(rnd([3, 8], 4), tf.reshape(b, [8, 16]));
        const y3 = tf.matMul(rnd([3, 32], 5), tf.reshape(b, [32, 4]));
        return [y1, y2, y3, tf.matMul(rnd([3, 16], 1), b)];
      }));
    it('fused matMul (bias + relu), transposed and batched', () =>
      agree(() => {
        const a = rnd([4, 32, 64], 1);
        const b = rnd([4, 32, 16], 2);
        const bias = rnd([16], 3);
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.fused.matMul({ a: x as tf.Tensor3D, b: y as tf.Tensor3D, transposeA: true, bias: z, activation: 'relu' });
        const w = rnd([4, 64, 16], 4);
        return [f(a, b, bias), ...tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, y, z), w)))([a, b, bias])];
      }));
    it('does not leak tensors or wasm ids', async () => {
      await tf.setBackend('wasm');
      const ids = () => (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();
      const step = () =>
        tf.tidy(() => {
          withGrads((a, b) => tf.matMul(a, b, true, true), [4, 32, 64], [4, 16, 32])();
          withGrads((a, b) => tf.matMul(a, b), [4, 256], [256, 3000])();
          withGrads((a, b) => tf.matMul(a, b, false, true), [1, 64, 32], [4, 16, 32], false)();
        });
      step();
      const before = ids();
      await assertNoTensorLeak(step);
      assert.equal(ids(), before);
    });
  });

  it('UnsortedSegmentSum: gather gradient into a [10,8] table', () =>
    agree(() => {
      const table = rnd([10, 8], 1);
      const idx = tf.tensor1d([1, 3, 3, 9, 0, 3], 'int32');
      const w = rnd([6, 8], 2);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(table);
      return [g, tf.unsortedSegmentSum(rnd([6, 2, 3], 3), tf.tensor1d([2, 0, 2, -1, 4, 1], 'int32'), 5)];
    }));

  it('Slice / SplitV: contiguous, strided, 1-5-D, with gradients', () =>
    agree(() => {
      const x3 = rnd([5, 6, 7], 1);
      const x5 = rnd([2, 3, 4, 5, 6], 2);
      const outs = [
        tf.slice(rnd([10], 3), [2], [5]),
        tf.slice(x3, [1, 0, 0], [3, 6, 7]),
        tf.slice(x3, [1, 2, 3], [3, 2, 4]),
        tf.slice(x3, [0, 2, 0], [5, 3, 7]),
        tf.slice(x5, [1, 0, 1, 2, 0], [1, 3, 2, 3, 6]),
        ...tf.split(x3, [2, 4], 1),
        ...tf.split(x3, 5, 0),
        tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [0, 1], [2, 2]).toFloat(),
      ];
      const w = rnd([3, 2, 4], 4);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.slice(x, [1, 2, 3], [3, 2, 4]), w)))(x3);
      const gs = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.split(x, [2, 4], 1)[1], rnd([5, 4, 7], 5))))(x3);
      return [...outs, g, gs];
    }));

  it('Sum over each axis, axis pairs and keepDims, with gradients', () =>
    agree(() => {
      const x = rnd([4, 10, 6], 1);
      const outs: tf.Tensor[] = [];
      for (const axis of [0, 1, 2, [0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
        outs.push(tf.sum(x, axis), tf.sum(x, axis, true));
      }
      outs.push(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sum(t, [0, 1]), rnd([6], 2))))(x));
      outs.push(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).toFloat());
      return outs;
    }));

  it('Identity shares the buffer and survives disposing the source', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    y.dispose();
    await agree(() => {
      const a = rnd([3, 4], 1);
      return [tf.clone(a), tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.clone(t))))(a)];
    });
  });

  it('slice, split, sum, gather-gradient and identity do not leak', async () => {
    await tf.setBackend('wasm');
    const x = rnd([5, 6, 7], 1);
    const table = rnd([10, 8], 2);
    const idx = tf.tensor1d([1, 3, 3], 'int32');
    await assertNoTensorLeak(() =>
      tf.tidy(() => {
        tf.slice(x, [1, 2, 3], [3, 2, 4]);
        tf.split(x, [2, 4], 1);
        tf.sum(x, 1);
        tf.clone(x);
        tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, idx)))(table);
      }),
    );
    tf.dispose([x, table, idx]);
  });
});
