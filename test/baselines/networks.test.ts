/** Shapes and parameter counts of the baseline networks, and the conv building blocks against tf's own ops. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { conv2dSame, convTranspose2x, samePadding } from '../../lib/baselines/layers';
import { countTcoParameters, poseVector, TcoNet, tcoLayers, type TcoArch } from '../../lib/baselines/tco';
import { countUnet2dParameters, Unet2d, type Unet2dArch } from '../../lib/baselines/unet2d';
import { TcoProbeHead } from '../../lib/baselines/tco_train';
import { lookAt, sphericalToCartesian } from '../../lib/geometry/cameras';
import { maxAbsDiff, useBackend } from '../helpers/tf';

const MV3D_128: TcoArch = { side: 128, inChannels: 3, outChannels: 4, fcWidth: 4096, poseWidth: 64, poseDim: 5 };
const AUTHORS_UNET_128: Unet2dArch = {
  inChannels: 4, outChannels: 6, nf0: 64, numDown: 7, maxChannels: 512, dropout: 0.2, fixedDropout: 0.1,
  upActivation: 'relu', bnMomentum: 0.1, bnEps: 1e-5,
};

before(async () => {
  await useBackend();
});

describe('conv building blocks', () => {
  it('conv2dSame equals tf.conv2d with same padding (strides 1 and 2, odd/even kernels)', () => {
    for (const [k, s] of [[5, 2], [5, 1], [3, 2], [4, 2]]) {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([k, k, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const d = maxAbsDiff(conv2dSame(x, w, s), tf.conv2d(x, w, s, 'same'));
      assert.ok(d < 1e-4, `k${k} s${s}: ${d}`);
    }
    assert.deepEqual(samePadding(8, 5, 2), [1, 2]);
  });

  it('convTranspose2x equals tf.conv2dTranspose(same, stride 2) with the spatially flipped kernel (k 3, 4, 5)', () => {
    for (const k of [3, 4, 5]) {
      const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      // tf.conv2dTranspose filter: [k, k, outC, inC].
      const wt = tf.randomNormal([k, k, 5, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const ref = tf.conv2dTranspose(x, wt, [2, 8, 8, 5], 2, 'same');
      const direct = tf.transpose(tf.reverse(wt, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const ours = convTranspose2x(x, direct);
      assert.deepEqual(ours.shape, [2, 8, 8, 5]);
      const d = maxAbsDiff(ours, ref);
      assert.ok(d < 1e-4, `k${k}: ${d}`);
    }
  });
});

describe('TCO', () => {
  it('has ≈70M parameters at 128² (mv3d RGB+D; 67M in the four 4096-wide FCs), counted from shapes', () => {
    const n = countTcoParameters(MV3D_128);
    assert.equal(n, 69_537_024);
    const fcs = tcoLayers(MV3D_128).filter((l) => ['fc1', 'a3', 'a4', 'a5'].includes(l.name));
    const fcN = fcs.reduce((s, l) => s + l.shape[0] * l.shape[1] + l.shape[1], 0);
    assert.ok(fcN > 67e6 && fcN < 67.5e6, `${fcN}`);
    // RGB-only: the last transpose conv has 3 output channels.
    assert.equal(countTcoParameters({ ...MV3D_128, outChannels: 3 }), n - 5 * 5 * 32);
  });

  it('64² drops e0/e0_0 and d4/d4_0 (a5 then feeds d3 with 256 channels); 32² also e1 and d3', () => {
    const names64 = tcoLayers({ ...MV3D_128, side: 64 }).map((l) => l.name);
    assert.ok(!names64.includes('e0') && !names64.includes('e0_0') && !names64.includes('d4') && !names64.includes('d4_0'));
    const d3 = tcoLayers({ ...MV3D_128, side: 64 }).find((l) => l.name === 'd3')!;
    assert.deepEqual(d3.shape, [3, 3, 256, 64]);
    const names32 = tcoLayers({ ...MV3D_128, side: 32 }).map((l) => l.name);
    assert.deepEqual(names32.filter((n) => n.startsWith('e')), ['e2', 'e2_0', 'e3', 'e3_0', 'e4', 'e4_0']);
    assert.deepEqual(names32.filter((n) => n.startsWith('d')), ['d2', 'd2_0', 'd1', 'd1_0', 'd0']);
    assert.throws(() => tcoLayers({ ...MV3D_128, side: 48 }), /16, 32, 64, 128/);
  });

  it('allocates the counted parameters and maps [B,S,S,3] + pose → image [B,S,S,C] and d1_0 features [B,S/2,S/2,32]', () => {
    const arch: TcoArch = { side: 32, inChannels: 3, outChannels: 4, fcWidth: 64, poseWidth: 16, poseDim: 5 };
    const net = new TcoNet(arch, 0);
    assert.equal(net.parameterCount(), countTcoParameters(arch));
    const out = tf.tidy(() => {
      const o = net.apply(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, tf.zeros([2, 5]) as tf.Tensor2D);
      return [o.image, o.features];
    });
    assert.deepEqual(out[0].shape, [2, 32, 32, 4]);
    assert.deepEqual(out[1].shape, [2, 16, 16, 32]);
    assert.ok(Math.max(...(out[0].dataSync() as Float32Array).map(Math.abs)) <= 1, 'tanh output');
    tf.dispose(out);
    const head = new TcoProbeHead(6, 0);
    assert.equal(head.params.count(), 5 * 5 * 32 * 6 + 6);
    const logits = tf.tidy(() => head.apply(tf.zeros([1, 16, 16, 32]) as tf.Tensor4D));
    assert.deepEqual(logits.shape, [1, 32, 32, 6]);
    logits.dispose();
    head.dispose();
    net.dispose();
  });

  it('pose vector: [r/ρ, sin el, cos el, sin az, cos az] of the camera centre (z up), or the flat cam2world', () => {
    const m = lookAt(sphericalToCartesian(1.3, 0.7, 0.4));
    const v = poseVector(m, 'mv3d', 2, 'z');
    assert.ok(Math.abs(v[0] - 0.65) < 1e-6);
    assert.ok(Math.abs(Math.asin(v[1]) - 0.4) < 1e-6, `el ${Math.asin(v[1])}`);
    assert.ok(Math.abs(v[1] ** 2 + v[2] ** 2 - 1) < 1e-9 && Math.abs(v[3] ** 2 + v[4] ** 2 - 1) < 1e-9);
    assert.equal(poseVector(m, 'cam2world', 2).length, 16);
  });
});

describe("the authors' 2-D U-Net", () => {
  it('has 74,845,702 parameters at 128² (RGBA in, 6 classes, nf0 64, 7 downs, max 512), counted from shapes', () => {
    assert.equal(countUnet2dParameters(AUTHORS_UNET_128), 74_845_702);
    assert.equal(countUnet2dParameters({ ...AUTHORS_UNET_128, numDown: 6 }), 57_540_102);
  });

  it('keeps the innermost level at its outer width where the channel cap does not bind (theirs: 5,394 at nf0 4, 2 downs)', () => {
    // pytorch_prototyping.Unet(4, 2, nf0=4, num_down=2, max_channels=64 or 8, BatchNorm2d): 5,394 parameters either way.
    for (const maxChannels of [64, 8]) {
      const arch: Unet2dArch = { ...AUTHORS_UNET_128, outChannels: 2, nf0: 4, numDown: 2, maxChannels };
      assert.equal(countUnet2dParameters(arch), 5_394);
      const net = new Unet2d(arch, 0);
      assert.equal(net.parameterCount(), 5_394);
      net.dispose();
    }
  });

  it('allocates the counted parameters; [B,S,S,4] → logits [B,S,S,C]; numDown = log2 S reaches 1×1', () => {
    const arch: Unet2dArch = { ...AUTHORS_UNET_128, nf0: 4, maxChannels: 16, numDown: 4 };
    const net = new Unet2d(arch, 0);
    assert.equal(net.parameterCount(), countUnet2dParameters(arch));
    for (const training of [true, false]) {
      const y = tf.tidy(() => net.apply(tf.randomNormal([2, 16, 16, 4]) as tf.Tensor4D, { training, seed: 1 }));
      assert.deepEqual(y.shape, [2, 16, 16, 6]);
      y.dispose();
    }
    assert.throws(() => tf.tidy(() => net.apply(tf.zeros([1, 12, 12, 4]) as tf.Tensor4D, { training: false })), /divisible by 2\^numDown = 16/);
    net.dispose();
  });
});
