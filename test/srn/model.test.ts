import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend, maxAbsDiff } from '../helpers/tf';
import { clampGradient, countParameters, lstmCell, SrnModel, type LstmParams } from '../../lib/srn';
import { presetConfig, DEFAULT_MODEL } from '../../lib/config';
import { intrinsicsTensor, pixelGrid, poseTensor, cameraDepth, liftPixels, rayDirections } from '../../lib/geometry/rays';
import { lookAt } from '../../lib/geometry/cameras';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

test('LSTM cell: PyTorch gate order (i, f, g, o) against hand-computed values', async () => {
  await useBackend('cpu');
  // in = 1, H = 1: gates = x·Wih + bih + h·Whh + bhh, one column per gate.
  const p: LstmParams = {
    Wih: tf.variable(tf.tensor2d([[0.5, -0.3, 0.8, 0.1]])),
    Whh: tf.variable(tf.tensor2d([[0.2, 0.4, -0.6, 0.7]])),
    bih: tf.variable(tf.tensor1d([0.1, 1, -0.2, 0.3])),
    bhh: tf.variable(tf.tensor1d([0.05, 1, 0.1, -0.1])),
  };
  const x = 0.9, h = -0.4, c = 0.25;
  const pre = [0, 1, 2, 3].map((k) => x * [0.5, -0.3, 0.8, 0.1][k] + [0.1, 1, -0.2, 0.3][k] + h * [0.2, 0.4, -0.6, 0.7][k] + [0.05, 1, 0.1, -0.1][k]);
  const c2 = sig(pre[1]) * c + sig(pre[0]) * Math.tanh(pre[2]);
  const h2 = sig(pre[3]) * Math.tanh(c2);
  const [hh, cc] = lstmCell(tf.tensor2d([[x]]), tf.tensor2d([[h]]), tf.tensor2d([[c]]), p);
  assert.ok(Math.abs(hh.dataSync()[0] - h2) < 1e-6, `h ${hh.dataSync()[0]} vs ${h2}`);
  assert.ok(Math.abs(cc.dataSync()[0] - c2) < 1e-6, `c ${cc.dataSync()[0]} vs ${c2}`);
});

test('LSTM init: Uniform(±1/sqrt(16)) and the forget slice [16:32] of both biases = 1', async () => {
  await useBackend('cpu');
  const m = new SrnModel({ ...DEFAULT_MODEL, phiLayers: 1 }, { numInstances: 1 });
  for (const name of ['bih', 'bhh'] as const) {
    const b = m.lstm[name].dataSync();
    assert.equal(b.length, 64);
    for (let i = 0; i < 64; i++) {
      if (i >= 16 && i < 32) assert.equal(b[i], 1, `${name}[${i}]`);
      else assert.ok(Math.abs(b[i]) <= 0.25 && b[i] !== 1);
    }
  }
  const w = m.lstm.Wih.dataSync();
  assert.ok(w.every((v) => Math.abs(v) <= 0.25));
  assert.deepEqual(m.lstm.Wih.shape, [256, 64]);
  assert.ok(m.stepLayer.W.dataSync().every((v) => Math.abs(v) <= 0.25));
  // Hyper-MLP last weight: Kaiming normal std sqrt(2/256) × 0.1 ≈ 0.00884; bias Uniform(±1/16).
  const last = m.params.get('hypernet.0.out.W')!.variable.dataSync();
  let s = 0, s2 = 0;
  for (const v of last) { s += v; s2 += v * v; }
  const std = Math.sqrt(s2 / last.length - (s / last.length) ** 2);
  assert.ok(Math.abs(std - 0.1 * Math.sqrt(2 / 256)) < 0.0002, `std ${std}`);
  assert.ok(m.params.get('hypernet.0.out.b')!.variable.dataSync().every((v) => Math.abs(v) <= 1 / 16));
  const first = m.params.get('hypernet.0.fc0.W')!.variable.dataSync();
  let q = 0;
  for (const v of first) q += v * v;
  assert.ok(Math.abs(Math.sqrt(q / first.length) - Math.sqrt(2 / 256)) < 0.002);
  // Latent codes N(0, 0.01).
  m.dispose();
});

test('gradient clamp: identity forward, backward clipped to [-10, 10]', async () => {
  await useBackend('cpu');
  const x = tf.tensor1d([1, -2, 3, 4]);
  const y = clampGradient(x, 10);
  assert.deepEqual(Array.from(y.dataSync()), [1, -2, 3, 4]);
  const g = tf.grad((t: tf.Tensor) => clampGradient(t, 10).mul(tf.tensor1d([100, -100, 3, -9.5])).sum())(x);
  assert.deepEqual(Array.from(g.dataSync()), [10, -10, 3, -9.5]);
});

test('phi: LayerNorm without affine, eps 1e-5 (biased variance), ReLU after the last layer', async () => {
  await useBackend('cpu');
  const cfg = { ...presetConfig('tiny').model, phiLayers: 1, phiWidth: 3 };
  const m = new SrnModel(cfg, { numInstances: 1 });
  // One layer 3→3 with W = 0.01·I and b = 0: tiny variance, so eps matters.
  const W = tf.tensor3d([[[0.01, 0, 0], [0, 0.01, 0], [0, 0, 0.01]]]);
  const b = tf.zeros([1, 1, 3]) as tf.Tensor3D;
  const x = [0.3, -0.1, 0.2];
  const y = m.phi([{ W, b }], tf.tensor3d([[x]])).dataSync();
  const z = x.map((v) => v * 0.01);
  const mean = z.reduce((a, v) => a + v, 0) / 3;
  const variance = z.reduce((a, v) => a + (v - mean) ** 2, 0) / 3;
  const expect = z.map((v) => Math.max(0, (v - mean) / Math.sqrt(variance + 1e-5)));
  assert.ok(maxAbsDiff(y, expect) < 1e-4, `${Array.from(y)} vs ${expect}`);
  const wrongEps = z.map((v) => Math.max(0, (v - mean) / Math.sqrt(variance + 1e-3)));
  assert.ok(maxAbsDiff(y, wrongEps) > 0.1, 'eps 1e-3 would give clearly different values');
  m.dispose();
});

test('hypernetwork output: first in·out numbers are W[out][in] row-major, then the bias', async () => {
  await useBackend('cpu');
  const cfg = { ...presetConfig('tiny').model, phiLayers: 2, phiWidth: 4 };
  const m = new SrnModel(cfg, { numInstances: 1 });
  const out = m.params.get('hypernet.1.out.W')!.variable;
  const bias = m.params.get('hypernet.1.out.b')!.variable;
  const P = 4 * 4 + 4;
  out.assign(tf.zerosLike(out));
  bias.assign(tf.range(0, P));
  const [, l1] = m.phiWeights(m.latents.rows([0]));
  const W = l1.W.arraySync()[0]; // [in][out] (x·W layout)
  for (let o = 0; o < 4; o++) for (let i = 0; i < 4; i++) assert.equal(W[i][o], o * 4 + i);
  assert.deepEqual(Array.from(l1.b.dataSync()), [16, 17, 18, 19]);
  m.dispose();
});

test('ray marcher: starts at camera z 0.05, steps along the unit direction, depth is camera z', async () => {
  await useBackend('cpu');
  const k = { fx: 10, fy: 10, cx: 3, cy: 4, height: 8, width: 8 };
  const K = intrinsicsTensor([k]);
  const M = poseTensor([lookAt([1.2, 0.3, 0.6])]);
  const uv = pixelGrid(8);
  const m0 = new SrnModel({ ...presetConfig('tiny').model, marchSteps: 0 }, { numInstances: 1 });
  const w0 = m0.phiWeights(m0.latents.rows([0]));
  const r0 = m0.raymarch(w0, { uv, intrinsics: K, cam2world: M });
  assert.ok(r0.depth.dataSync().every((d) => Math.abs(d - 0.05) < 1e-6));
  const m = new SrnModel({ ...presetConfig('tiny').model, marchSteps: 3 }, { numInstances: 1 });
  m.stepLayer.W.assign(tf.zerosLike(m.stepLayer.W));
  m.stepLayer.b.assign(tf.tensor1d([0.2]));
  const r = m.raymarch(m.phiWeights(m.latents.rows([0])), { uv, intrinsics: K, cam2world: M });
  const expected = liftPixels(uv, 0.05, K, M).add(rayDirections(uv, K, M).mul(0.6));
  assert.ok(maxAbsDiff(r.points, expected) < 1e-5);
  assert.ok(maxAbsDiff(r.depth, cameraDepth(expected as tf.Tensor3D, M)) < 1e-5);
  m0.dispose();
  m.dispose();
});

test('parameter counts of the paper preset (from the config) and of an allocated model', async () => {
  await useBackend('cpu');
  const paper = presetConfig('paper').model;
  const c = countParameters(paper, 'linear', 6);
  assert.equal(c.hypernet, 51_519_232);
  assert.equal(c.renderer, 332_548);
  assert.equal(c.segHead, 1_542);
  assert.equal(countParameters(paper, 'linear', 11).segHead, 2_827);
  assert.equal(c.raymarcher, 256 * 64 + 16 * 64 + 128 + 17);
  const tiny = presetConfig('tiny').model;
  const m = new SrnModel(tiny, { numInstances: 3, heads: ['unet'] });
  const have = m.parameterCounts();
  const want = countParameters(tiny, 'unet');
  for (const g of ['hypernet', 'raymarcher', 'renderer', 'segHead'] as const) assert.equal(have[g], want[g], g);
  assert.equal(have.latents, 3 * tiny.latentDim);
  m.removeHead('unet');
  m.addHead('mlp');
  assert.equal(m.parameterCounts().segHead, countParameters(tiny, 'mlp').segHead);
  m.dispose();
});

test('forward shapes and features ≥ 0; namedWeights round-trip', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny').model;
  const m = new SrnModel(cfg, { numInstances: 2, heads: ['linear'] });
  const k = { fx: 10, fy: 10, cx: 4, cy: 4, height: 8, width: 8 };
  const out = m.forward(m.latents.rows([0, 1]), { uv: pixelGrid(8), intrinsics: intrinsicsTensor([k, k]), cam2world: poseTensor([lookAt([1.3, 0, 0.4]), lookAt([0, 1.3, 0.4])]) });
  assert.deepEqual(out.rgba.shape, [2, 64, 4]);
  assert.deepEqual(out.depth.shape, [2, 64]);
  assert.deepEqual(out.features.shape, [2, 64, cfg.phiWidth]);
  assert.ok(out.features.dataSync().every((v) => v >= 0));
  const w = m.namedWeights();
  const m2 = new SrnModel(cfg, { numInstances: 2, seed: 7, heads: ['linear'] });
  m2.loadWeights(w);
  for (const p of m.params.list()) assert.equal(maxAbsDiff(p.variable, m2.params.get(p.name)!.variable), 0);
  assert.throws(() => m2.loadWeights({ nope: tf.zeros([1]) }), /unknown weight 'nope'/);
  m.dispose();
  m2.dispose();
});

test('ray marcher call site: the LSTM state gets the backward clamp (config.gradClamp bounds the gradient into the LSTM, forward unchanged)', async () => {
  await useBackend('cpu');
  const k = { fx: 10, fy: 10, cx: 3, cy: 4, height: 8, width: 8 };
  const rays = { uv: pixelGrid(4), intrinsics: intrinsicsTensor([k]), cam2world: poseTensor([lookAt([1.2, 0.3, 0.6])]) };
  // Same seed, same weights; only the clamp differs. Without the clamp call in raymarch() both runs would match.
  const run = (gradClamp: number) => {
    const m = new SrnModel({ ...presetConfig('tiny').model, gradClamp }, { numInstances: 1, seed: 3 });
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.mul(tf.sum(m.raymarch(m.phiWeights(m.latents.rows([0])), rays).depth), 1e3) as tf.Scalar), [m.lstm.Wih, m.lstm.Whh]);
    const out = { loss: value.dataSync()[0], maxGrad: Math.max(...Object.values(grads).map((g) => tf.max(tf.abs(g)).dataSync()[0])) };
    tf.dispose([value, ...Object.values(grads)]);
    m.dispose();
    return out;
  };
  const clamped = run(1e-7);
  const free = run(1e9);
  assert.equal(clamped.loss, free.loss, 'the clamp is the identity forward');
  assert.ok(free.maxGrad > 1e-3, `unclamped LSTM gradient ${free.maxGrad} is large enough to tell`);
  assert.ok(clamped.maxGrad < 1e-4, `clamped LSTM gradient ${clamped.maxGrad} should be bounded by gradClamp`);
  tf.dispose([rays.uv, rays.intrinsics, rays.cam2world]);
});
