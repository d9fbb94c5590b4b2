/**
 * The fast paths against the plain-tf path on the same backend: on the native backend (ReluGrad, LayerNorm
 * gradient, bias sums as matMuls, fused Adam on resource variables; skipped with the reason when
 * `npm run setup:native` has not been run) and the wasm Adam kernel.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { denseLayerNormRelu } from '../../lib/backend/fused_dense';
import {
  fusedKernelBackend, fusedLayerNormRelu, fusedLayerNormReluGrad, nativeBackend, nativeLayerNormGrad, nativeReluGrad, setFastOps,
} from '../../lib/backend/native_ops';
import { selectBackend } from '../../lib/backend/select';
import { DenseAdam } from '../../lib/training/adam';
import { addBatchNorm, batchNorm, ParamSet } from '../../lib/baselines/layers';
import { FeatureUnet, ParamStore } from '../../lib/srn';
import { DEFAULT_UNET } from '../../lib/config';
import { Rng } from '../../lib/util/random';
import { conv2dTapGrad, conv2dValid, hasConvFilterGrad, upConv2x, upConv2xZeroInsert } from '../../lib/srn/unet';
import { assertNoTensorLeak, maxAbsDiff, maxRelDiff } from '../helpers/tf';

const rnd = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

/** Runs `f` with the fast paths on or off, restoring the setting. */
function withFastOps<T>(on: boolean, f: () => T): T {
  const was = setFastOps(on);
  try {
    return f();
  } finally {
    setFastOps(was);
  }
}

/** Live tensors of the TF binding (handles included): must not grow either. */
function bindingTensors(): number {
  return (tf.backend() as unknown as { getNumOfTFTensors(): number }).getNumOfTFTensors();
}

let nativeSkip: string | false = false;
before(async () => {
  try {
    await selectBackend({ backend: 'node' });
  } catch (e) {
    nativeSkip = `native backend not available: ${(e as Error).message.split('\n')[0]}`;
  }
});

const ADAM = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const SHAPES = [[3, 4], [257], [1], [2, 3, 5]];

/** Three Adam steps over variables of SHAPES with fixed gradients; returns x, m, v after each step. */
function adamRun(fast: boolean, steps = 3): Float32Array[][] {
  return withFastOps(fast, () => {
    const vars = new Map(SHAPES.map((s, i) => [`p${i}`, tf.variable(rnd(s, 10 + i))] as const));
    const adam = new DenseAdam(vars, { ...ADAM });
    const out: Float32Array[][] = [];
    for (let k = 0; k < steps; k++) {
      const grads = Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, tf.mul(rnd(s, 100 * k + i), k + 1)]));
      adam.apply(grads);
      tf.dispose(Object.values(grads));
      out.push(
        [...vars.keys()].flatMap((n) => [vars.get(n)!, adam.m.get(n)!, adam.v.get(n)!].map((t) => Float32Array.from(t.dataSync()))),
      );
    }
    adam.dispose();
    for (const v of vars.values()) v.dispose();
    return out;
  });
}

function assertAdamRunsAgree(got: Float32Array[][], ref: Float32Array[][]): void {
  got.forEach((step, k) => step.forEach((a, i) => assert.ok(maxRelDiff(a, ref[k][i]) < 1e-5, `step ${k + 1}, tensor ${i}: ${maxRelDiff(a, ref[k][i])}`)));
}

describe('native ops (tensorflow backend)', () => {
  it('ReluGrad equals dy·(x > 0)', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    tf.tidy(() => {
      const x = rnd([7, 33], 1);
      const dy = rnd([7, 33], 2);
      const ref = tf.mul(dy, tf.cast(tf.greater(x, 0), 'float32'));
      assert.equal(maxAbsDiff(nativeReluGrad(nativeBackend()!, dy, x), ref), 0);
    });
  });

  it('convolutions: the native kernels (tf.conv2d, tf.conv2dTranspose) equal the wasm path (tap gradient, zero insertion) in value and gradients', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    assert.equal(hasConvFilterGrad(), true);
    tf.tidy(() => {
      for (const [k, s] of [[3, 1], [4, 2]]) {
        const x = rnd([2, 8, 8, 3], 3) as tf.Tensor4D;
        const w = rnd([k, k, 3, 5], 4) as tf.Tensor4D;
        const f = (a: tf.Tensor, b: tf.Tensor) => conv2dValid(a as tf.Tensor4D, b as tf.Tensor4D, s).sum();
        const g = (a: tf.Tensor, b: tf.Tensor) => conv2dTapGrad(a as tf.Tensor4D, b as tf.Tensor4D, s).sum();
        tf.grads(f)([x, w]).forEach((d, i) => assert.ok(maxAbsDiff(d, tf.grads(g)([x, w])[i]) < 1e-3, `conv k${k} s${s} grad ${i}`));
      }
      for (const k of [4, 5]) {
        const x = rnd([2, 3, 4, 3], 5) as tf.Tensor4D;
        const w = rnd([k, k, 3, 5], 6) as tf.Tensor4D;
        assert.ok(maxAbsDiff(upConv2x(x, w), upConv2xZeroInsert(x, w)) < 1e-4, `up-conv k${k} value`);
        const dy = rnd([2, 6, 8, 5], 7);
        const [ga, gb] = [upConv2x, upConv2xZeroInsert].map((fn) => tf.grads((a: tf.Tensor, b: tf.Tensor) => fn(a as tf.Tensor4D, b as tf.Tensor4D).mul(dy).sum())([x, w]));
        ga.forEach((d, i) => assert.ok(maxAbsDiff(d, gb[i]) < 1e-3, `up-conv k${k} grad ${i}`));
      }
    });
  });

  it('train-mode BatchNorm2d as FusedBatchNormV3 equals the formula path: output, the three gradients, running stats (PyTorch semantics)', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const run = (fast: boolean) =>
      withFastOps(fast, () => {
        const p = new ParamSet();
        const n = addBatchNorm(p, 'bn', 3);
        n.gamma.assign(tf.tensor1d([1.5, 0.5, -1]));
        n.beta.assign(tf.tensor1d([0.1, -0.2, 0.3]));
        n.mean.assign(tf.tensor1d([0.2, 0.3, -0.1]));
        const x = tf.randomNormal([4, 5, 6, 3], 1, 2, 'float32', 8) as tf.Tensor4D;
        const dy = rnd([4, 5, 6, 3], 9);
        const y = batchNorm(x, n, true, 0.1, 1e-5);
        const stats = [n.mean, n.variance].map((v) => Float32Array.from(v.dataSync()));
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.mul(batchNorm(a as tf.Tensor4D, { ...n, gamma: b as tf.Variable, beta: c as tf.Variable }, true, 0.1, 1e-5), dy).sum())([x, n.gamma, n.beta]);
        // PyTorch: running ← 0.9·running + 0.1·batch statistic, the variance unbiased (N·H·W = 120 values a channel).
        const m = tf.moments(x, [0, 1, 2]);
        const expect = [tf.add(tf.mul(tf.tensor1d([0.2, 0.3, -0.1]), 0.9), tf.mul(m.mean, 0.1)), tf.add(0.9, tf.mul(m.variance, (0.1 * 120) / 119))];
        expect.forEach((e, i) => assert.ok(maxAbsDiff(e, stats[i]) < 1e-5, `${fast ? 'native' : 'formula'}: running ${i ? 'variance' : 'mean'}`));
        const out = { y: Float32Array.from(y.dataSync()), stats, grads: g.map((d) => Float32Array.from(d.dataSync())) };
        tf.dispose([m.mean, m.variance, ...expect]);
        tf.dispose([x, dy, y, ...g]);
        p.dispose();
        return out;
      });
    const [fast, plain] = [run(true), run(false)];
    assert.ok(maxAbsDiff(fast.y, plain.y) < 1e-4, 'y');
    fast.stats.forEach((v, i) => assert.ok(maxAbsDiff(v, plain.stats[i]) < 1e-5, `running ${i ? 'variance' : 'mean'}`));
    fast.grads.forEach((d, i) => assert.ok(maxRelDiff(d, plain.grads[i]) < 1e-4, `grad ${['x', 'gamma', 'beta'][i]}`));
    // A training step leaks no tensor or TF handle (the op's reserve spaces are kept for the gradient only).
    const p = new ParamSet();
    const n = addBatchNorm(p, 'bn', 3);
    const x = rnd([2, 4, 4, 3], 10) as tf.Tensor4D;
    const step = () => tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => batchNorm(a as tf.Tensor4D, { ...n, gamma: b as tf.Variable }, true, 0.1, 1e-5).sum())([x, n.gamma]));
    step();
    const handles = bindingTensors();
    await assertNoTensorLeak(step);
    assert.equal(bindingTensors(), handles);
    x.dispose();
    p.dispose();
  });

  it('the semantic SRN feature U-Net in train mode: native batch norm gives the formula path\'s output and running stats', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const run = (fast: boolean) =>
      withFastOps(fast, () => {
        const store = new ParamStore();
        const unet = new FeatureUnet(store, 'segHead.unet', 5, 3, { ...DEFAULT_UNET, nf0: 4, numDown: 2, maxChannels: 8 }, new Rng(3));
        const x = rnd([2, 8, 8, 5], 11) as tf.Tensor4D;
        const y = unet.apply(x, { training: true });
        const out = { y: Float32Array.from(y.dataSync()), stats: unet.stats.map((v) => Float32Array.from(v.dataSync())) };
        tf.dispose([x, y]);
        store.dispose();
        return out;
      });
    const [fast, plain] = [run(true), run(false)];
    assert.ok(maxAbsDiff(fast.y, plain.y) < 1e-4, 'y');
    fast.stats.forEach((v, i) => assert.ok(maxAbsDiff(v, plain.stats[i]) < 1e-5, `stat ${i}`));
  });

  it('LayerNorm gradient through FusedBatchNormGradV3 equals the formula', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    tf.tidy(() => {
      const z = tf.add(tf.mul(rnd([3, 40, 24], 3), 4), 1);
      const { mean, variance } = tf.moments(z, -1, true);
      const rstd = tf.rsqrt(tf.add(variance, 1e-5));
      const xhat = tf.mul(tf.sub(z, mean), rstd);
      const g = rnd([3, 40, 24], 4);
      const ref = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))), rstd);
      const got = nativeLayerNormGrad(nativeBackend()!, g, xhat, rstd);
      assert.deepEqual(got.shape, ref.shape);
      assert.ok(maxRelDiff(got.dataSync(), ref.dataSync()) < 1e-5);
    });
  });

  for (const affine of [false, true]) {
    it(`fused kernels (native/srn_ops.cc)${affine ? ' with γ, β' : ''}: relu(LN(z + bias)) and its gradient equal the formula per bias group`, async (t) => {
      if (nativeSkip) return t.skip(nativeSkip);
      await selectBackend({ backend: 'node' });
      const be = fusedKernelBackend();
      assert.ok(be, 'setup:native builds the kernels with the binding; they must be loaded');
      tf.tidy(() => {
        const [B, R, F] = [3, 17, 24];
        // Row 0 of instance 0 is constant after the bias: variance 0, so 1/σ = 1/sqrt(eps) and x̂ = 0.
        const z = tf.concat([tf.neg(rnd([1, 1, F], 9)), rnd([1, R - 1, F], 10)], 1).concat(tf.mul(rnd([B - 1, R, F], 11), 3), 0);
        const bias = tf.concat([rnd([1, F], 9), rnd([B - 1, F], 12)], 0);
        const gamma = affine ? tf.add(1, rnd([F], 14)) : tf.ones([F]);
        const beta = affine ? tf.mul(rnd([F], 15), 0.5) : tf.zeros([F]);
        // Without affine the kernels take empty γ and β.
        const [kg, kb] = affine ? [gamma, beta] : [tf.zeros([0]), tf.zeros([0])];
        const eps = 1e-5;
        const ref = (zz: tf.Tensor, bb: tf.Tensor, gg: tf.Tensor, be2: tf.Tensor) => {
          const q = tf.add(zz, tf.reshape(bb, [B, 1, F]));
          const { mean, variance } = tf.moments(q, -1, true);
          return tf.relu(tf.add(tf.mul(tf.mul(tf.sub(q, mean), tf.rsqrt(tf.add(variance, eps))), gg), be2));
        };
        const [y, mean, rstd] = fusedLayerNormRelu(be!, z, bias, kg, kb, eps);
        assert.deepEqual(y.shape, [B, R, F]);
        assert.deepEqual(mean.shape, [B * R]);
        assert.ok(maxAbsDiff(y, ref(z, bias, gamma, beta)) < 1e-5);
        assert.ok(Math.abs(rstd.dataSync()[0] - 1 / Math.sqrt(eps)) < 1e-2 * (1 / Math.sqrt(eps)));
        assert.deepEqual(Array.from(y.dataSync().slice(0, F)), Array.from(tf.relu(beta).dataSync()));
        const dy = rnd([B, R, F], 13);
        // The constant row's gradient is ill-conditioned (1/σ = 316): compare it loosely, the rest tightly.
        const [dzRef, dbRef, dgRef, dbeRef] = tf.grads(ref)([z, bias, gamma, beta], dy);
        const [dz, db, dgamma, dbeta] = fusedLayerNormReluGrad(be!, dy, z, bias, kg, kb, mean, rstd);
        assert.deepEqual(db.shape, [B, F]);
        assert.deepEqual(dgamma.shape, [affine ? F : 0]);
        const tight = (a: tf.Tensor, r: tf.Tensor, from: number, what: string) => {
          const d = maxRelDiff(a.dataSync().slice(from), r.dataSync().slice(from));
          assert.ok(d < 1e-4, `${what}: ${d}`);
        };
        tight(dz, dzRef, F, 'dz');
        tight(db, dbRef, F, 'dbias');
        if (affine) {
          tight(dgamma, dgRef, 0, 'dgamma');
          tight(dbeta, dbeRef, 0, 'dbeta');
        } else {
          assert.deepEqual([dgamma.shape, dbeta.shape], [[0], [0]]);
        }
        // One shared bias row for every row of z.
        const row = bias.slice([1, 0], [1, F]);
        const [y1] = fusedLayerNormRelu(be!, z, row, kg, kb, eps);
        assert.ok(maxAbsDiff(y1, ref(z, tf.tile(row, [B, 1]), gamma, beta)) < 1e-5);
      });
    });
  }

  it('fused kernels reject bias groups that do not divide the rows, and are off with the fast paths', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const be = fusedKernelBackend()!;
    const [z, bias, wide, ones, zeros] = [tf.zeros([3, 4]), tf.zeros([2, 4]), tf.zeros([1, 5]), tf.ones([4]), tf.zeros([4])];
    assert.throws(() => fusedLayerNormRelu(be, z, bias, ones, zeros, 1e-5), /SrnLayerNormRelu: 2 bias groups do not divide 3 rows/);
    assert.throws(() => fusedLayerNormRelu(be, z, wide, ones, zeros, 1e-5), /bias must be \[\.\.\., 4\]/);
    const row = zeros.reshape([1, 4]);
    assert.throws(() => fusedLayerNormRelu(be, z, row, wide, zeros, 1e-5), /gamma and beta must both have 4 values or both be empty/);
    row.dispose();
    withFastOps(false, () => assert.equal(fusedKernelBackend(), null));
    tf.dispose([z, bias, wide, ones, zeros]);
  });

  const CASES = [
    { name: '2-D', x: [40, 12], W: [12, 24], b: [24], affine: false, relu: true },
    { name: '2-D, b [1,out]', x: [40, 12], W: [12, 24], b: [1, 24], affine: false, relu: true },
    { name: '2-D affine', x: [40, 12], W: [12, 24], b: [24], affine: true, relu: true },
    { name: '2-D affine, no relu', x: [40, 12], W: [12, 24], b: [24], affine: true, relu: false },
    { name: 'batched, b [B,1,out]', x: [3, 20, 12], W: [3, 12, 24], b: [3, 1, 24], affine: false, relu: true },
    { name: 'batched affine, b [out]', x: [3, 20, 12], W: [3, 12, 24], b: [24], affine: true, relu: true },
  ];
  for (const c of CASES) {
    it(`denseLayerNormRelu ${c.name}: native backward equals the plain one`, async (t) => {
      if (nativeSkip) return t.skip(nativeSkip);
      await selectBackend({ backend: 'node' });
      const run = (fast: boolean) =>
        withFastOps(fast, () =>
          tf.tidy(() => {
            const inputs = [rnd(c.x, 1), rnd(c.W, 2), rnd(c.b, 3)];
            if (c.affine) inputs.push(tf.add(1, rnd([24], 4)), rnd([24], 5));
            const f = (...a: tf.Tensor[]) => denseLayerNormRelu(a[0], a[1], a[2], { gamma: a[3], beta: a[4], relu: c.relu });
            const w = rnd(f(...inputs).shape, 6);
            const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)))(inputs);
            return [f(...inputs), ...grads].map((g) => Float32Array.from(g.dataSync()));
          }),
        );
      const got = run(true);
      const ref = run(false);
      got.forEach((g, i) => assert.ok(maxRelDiff(g, ref[i]) < 2e-5, `output ${i}: ${maxRelDiff(g, ref[i])}`));
    });
  }

  it('denseLayerNormRelu backward leaks no tensors or TF handles', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const x = rnd([3, 20, 12], 1);
    const W = rnd([3, 12, 24], 2);
    const b = rnd([3, 1, 24], 3);
    const step = () => tf.tidy(() => void tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(denseLayerNormRelu(p, q, b)))([x, W]));
    step();
    const handles = bindingTensors();
    await assertNoTensorLeak(step);
    assert.equal(bindingTensors(), handles);
    tf.dispose([x, W, b]);
  });

  it('DenseAdam: fused ResourceApplyAdam equals the plain update over 3 steps', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    assertAdamRunsAgree(adamRun(true), adamRun(false));
  });

  it('DenseAdam (native): state()/load() resume; a copy aliasing a variable keeps its value', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const ref = adamRun(false, 3)[2];
    const vars = new Map(SHAPES.map((s, i) => [`p${i}`, tf.variable(rnd(s, 10 + i))] as const));
    const grads = (k: number) => Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, tf.mul(rnd(s, 100 * k + i), k + 1)]));
    const a = new DenseAdam(vars, { ...ADAM });
    for (let k = 0; k < 2; k++) {
      const g = grads(k);
      a.apply(g);
      tf.dispose(Object.values(g));
    }
    const saved = a.state();
    const before = vars.get('p0')!.clone(); // shares the buffer (Identity): must keep its value
    const beforeValues = Float32Array.from(before.dataSync());
    a.dispose();
    const b = new DenseAdam(vars, { ...ADAM });
    b.load(saved);
    tf.dispose([...Object.values(saved.m), ...Object.values(saved.v)]);
    const g = grads(2);
    b.apply(g);
    tf.dispose(Object.values(g));
    const got = [...vars.keys()].flatMap((n) => [vars.get(n)!, b.m.get(n)!, b.v.get(n)!].map((x) => Float32Array.from(x.dataSync())));
    got.forEach((x, i) => assert.ok(maxRelDiff(x, ref[i]) < 1e-5, `tensor ${i}`));
    assert.deepEqual(Float32Array.from(before.dataSync()), beforeValues);
    assert.ok(maxAbsDiff(before, vars.get('p0')!) > 0);
    before.dispose();
    b.dispose();
    for (const v of vars.values()) v.dispose();
  });

  it('DenseAdam (native): a value assigned from outside between steps is where the next step starts', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const run = (fast: boolean) =>
      withFastOps(fast, () => {
        const x = tf.variable(tf.ones([5, 3]));
        const g = rnd([5, 3], 7);
        const adam = new DenseAdam(new Map([['x', x]]), { ...ADAM });
        adam.apply({ x: g });
        const two = tf.fill([5, 3], 2);
        x.assign(two); // e.g. a checkpoint restore
        two.dispose();
        adam.apply({ x: g });
        const out = Float32Array.from(x.dataSync());
        adam.dispose();
        tf.dispose([x, g]);
        return out;
      });
    const got = run(true);
    assert.ok(maxRelDiff(got, run(false)) < 1e-6);
    for (const v of got) assert.ok(Math.abs(v - 2) < 0.05, `started from 2: ${v}`);
  });

  it('DenseAdam (native) leaks no tensors or TF handles, and dispose() frees its resource variables', async (t) => {
    if (nativeSkip) return t.skip(nativeSkip);
    await selectBackend({ backend: 'node' });
    const handles0 = bindingTensors();
    const init = rnd([64, 32], 1);
    const x = tf.variable(init);
    init.dispose();
    const g = rnd([64, 32], 2);
    const adam = new DenseAdam(new Map([['x', x]]), { ...ADAM });
    adam.apply({ x: g });
    const handles = bindingTensors();
    await assertNoTensorLeak(() => adam.apply({ x: g }));
    assert.equal(bindingTensors(), handles);
    adam.dispose();
    tf.dispose([x, g]);
    assert.equal(bindingTensors(), handles0);
  });
});

describe('wasm Adam kernel', () => {
  it('equals the plain update over 3 steps', async () => {
    await selectBackend({ backend: 'wasm' });
    assertAdamRunsAgree(adamRun(true), adamRun(false));
  });

  it('leaves copies of a variable alone and leaks no tensors', async () => {
    await selectBackend({ backend: 'wasm' });
    const x = tf.variable(rnd([40, 8], 1));
    const g = rnd([40, 8], 2);
    const adam = new DenseAdam(new Map([['x', x]]), { ...ADAM });
    const copy = x.clone();
    const values = Float32Array.from(copy.dataSync());
    adam.apply({ x: g });
    assert.deepEqual(Float32Array.from(copy.dataSync()), values);
    await assertNoTensorLeak(() => adam.apply({ x: g }));
    adam.dispose();
    tf.dispose([x, g, copy]);
  });
});
