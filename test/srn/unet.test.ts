import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend, maxAbsDiff } from '../helpers/tf';
import { conv2dTapGrad, conv2dValid, hasConvFilterGrad, upConv2x, upConv2xZeroInsert, upConv4x4s2, FeatureUnet, ParamStore } from '../../lib/srn';
import { DEFAULT_UNET } from '../../lib/config';
import { Rng } from '../../lib/util/random';

const rnd = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape) as unknown as tf.Tensor4D;

test('the tap-gradient conv (wasm path) matches tf.conv2d in value and both gradients (stride 1 and 2)', async () => {
  await useBackend('cpu');
  const rng = new Rng(1);
  for (const [k, s, h] of [[3, 1, 6], [4, 2, 8]]) {
    const x = rnd(rng, [2, h, h, 3]);
    const w = rnd(rng, [k, k, 3, 5]);
    const ref = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, 'valid');
    const mine = (a: tf.Tensor, b: tf.Tensor) => conv2dTapGrad(a as tf.Tensor4D, b as tf.Tensor4D, s);
    assert.ok(maxAbsDiff(ref(x, w), mine(x, w)) < 1e-5);
    const dy = rnd(rng, ref(x, w).shape);
    const gRef = tf.grads((a, b) => ref(a, b).mul(dy).sum())([x, w]);
    const gMine = tf.grads((a, b) => mine(a, b).mul(dy).sum())([x, w]);
    assert.ok(maxAbsDiff(gRef[0], gMine[0]) < 1e-4, 'dx');
    assert.ok(maxAbsDiff(gRef[1], gMine[1]) < 1e-4, 'dW');
  }
});

test('both up-conv paths agree in value and gradients (k 3, 4, 5); each backend takes the one it can train', async () => {
  await useBackend('cpu');
  assert.equal(hasConvFilterGrad(), true, 'cpu has Conv2DBackpropFilter: tf.conv2d / tf.conv2dTranspose');
  const rng = new Rng(6);
  for (const k of [3, 4, 5]) {
    const x = rnd(rng, [2, 3, 4, 3]);
    const w = rnd(rng, [k, k, 3, 5]);
    const dy = rnd(rng, [2, 6, 8, 5]);
    const [a, b] = [upConv2x, upConv2xZeroInsert].map((f) => f(x, w));
    assert.deepEqual(a.shape, [2, 6, 8, 5]);
    assert.ok(maxAbsDiff(a, b) < 1e-4, `k${k} value`);
    const [ga, gb] = [upConv2x, upConv2xZeroInsert].map((f) => tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p as tf.Tensor4D, q as tf.Tensor4D).mul(dy).sum())([x, w]));
    assert.ok(maxAbsDiff(ga[0], gb[0]) < 1e-4, `k${k} dx`);
    assert.ok(maxAbsDiff(ga[1], gb[1]) < 1e-3, `k${k} dW`);
  }
  await useBackend('wasm');
  assert.equal(hasConvFilterGrad(), false, 'wasm lacks Conv2DBackpropFilter: the tap gradient and zero insertion');
  const x = rnd(new Rng(7), [1, 4, 4, 2]);
  const w = rnd(new Rng(8), [3, 3, 2, 3]);
  const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => conv2dValid(p as tf.Tensor4D, q as tf.Tensor4D, 1).sum())([x, w]);
  assert.deepEqual(g[1].shape, [3, 3, 2, 3], 'wasm trains conv2dValid');
  assert.deepEqual(upConv2x(x, rnd(new Rng(9), [4, 4, 2, 3])).shape, [1, 8, 8, 3]);
  await useBackend('cpu');
});

test('upConv4x4s2 equals a 4×4 stride-2 padding-1 transposed conv with the flipped kernel', async () => {
  await useBackend('cpu');
  const rng = new Rng(2);
  const x = rnd(rng, [1, 3, 4, 2]);
  const w = rnd(rng, [4, 4, 2, 3]); // [ky, kx, cin, cout]
  // tf.conv2dTranspose filter [h, w, outC, inC] with the kernel flipped spatially.
  const wT = tf.tidy(() => tf.reverse(w, [0, 1]).transpose([0, 1, 3, 2])) as tf.Tensor4D;
  const ref = tf.conv2dTranspose(x, wT, [1, 6, 8, 3], 2, 'same');
  const mine = upConv4x4s2(x, w);
  assert.deepEqual(mine.shape, [1, 6, 8, 3]);
  assert.ok(maxAbsDiff(ref, mine) < 1e-5);
});

test("FeatureUnet: the innermost block keeps its outer width where the cap does not bind, as the authors' Unet", () => {
  // pytorch_prototyping.Unet(5, 3, nf0=4, num_down=2, max_channels=64, BatchNorm2d, outermost_linear): 5,503 parameters,
  // unet_block.model.1.model.0.net.1.weight [8, 8, 3, 3] (the innermost prep conv, 8 → 8).
  const store = new ParamStore();
  const unet = new FeatureUnet(store, 'segHead.unet', 5, 3, { ...DEFAULT_UNET, nf0: 4, numDown: 2, maxChannels: 64 }, new Rng(3));
  assert.equal(store.count(), 5_503);
  assert.deepEqual(store.get('segHead.unet.block1.down.W')!.variable.shape, [4, 4, 8, 8]);
  assert.equal(unet.blocks.length, 2);
  store.dispose();
});

test('FeatureUnet: output shape, BN running stats move in train mode only', async () => {
  await useBackend('cpu');
  const store = new ParamStore();
  const unet = new FeatureUnet(store, 'segHead.unet', 5, 3, { ...DEFAULT_UNET, nf0: 4, numDown: 2, maxChannels: 8 }, new Rng(3));
  const x = rnd(new Rng(4), [2, 8, 8, 5]);
  const before = unet.stats.map((s) => s.dataSync().slice());
  const y = unet.apply(x, { training: false });
  assert.deepEqual(y.shape, [2, 8, 8, 3]);
  unet.stats.forEach((s, i) => assert.deepEqual(s.dataSync(), before[i]));
  tf.tidy(() => unet.apply(x, { training: true }));
  assert.ok(unet.stats.some((s, i) => maxAbsDiff(s, before[i]) > 1e-6));
  assert.throws(() => unet.apply(rnd(new Rng(5), [1, 6, 6, 5]), { training: false }), /divisible by 2\^numDown = 4/);
  store.dispose();
});
