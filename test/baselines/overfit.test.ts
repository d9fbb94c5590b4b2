/** Tiny overfit tests (the loss falls by a set factor within N steps) and no tensor leak across steps, per network. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_BASELINE_CONFIG } from '../../lib/baselines/config';
import { crossEntropyLoss } from '../../lib/losses/losses';
import { TcoNet } from '../../lib/baselines/tco';
import { TcoProbeHead, tcoLoss } from '../../lib/baselines/tco_train';
import { Unet2d } from '../../lib/baselines/unet2d';
import { memoryImageSet, trainUnet2d } from '../../lib/baselines/unet_train';
import { DenseAdam } from '../../lib/training/adam';
import { Rng } from '../../lib/util/random';
import { assertNoTensorLeak, useBackend } from '../helpers/tf';

before(async () => {
  await useBackend('wasm');
});

const ADAM = (lr: number) => ({ lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });

/** Two smooth target images and label maps at side S. */
function toyImages(S: number, C = 3) {
  const rgb = new Float32Array(2 * S * S * 3);
  const labels = new Int32Array(2 * S * S);
  for (let b = 0; b < 2; b++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const p = (b * S + y) * S + x;
        for (let c = 0; c < 3; c++) rgb[p * 3 + c] = 0.7 * Math.sin((x + 2 * y * (c + 1) + 5 * b) / S * 3);
        labels[p] = (Math.floor((x + b * 3) / (S / 2)) + Math.floor(y / (S / 2))) % C;
      }
  return { rgb, labels };
}

describe('TCO', () => {
  it('overfits two (input, pose) → target pairs: loss falls ≥ 3× within 40 steps, without leaking tensors', async () => {
    const S = 16;
    const net = new TcoNet({ side: S, inChannels: 3, outChannels: 3, fcWidth: 32, poseWidth: 8, poseDim: 5 }, 1);
    const adam = new DenseAdam(net.params.trainable, ADAM(2e-3));
    const { rgb } = toyImages(S);
    const x = tf.tensor4d(Rng.derive(0, 'x').uniformArray(2 * S * S * 3, -0.75, 0.75), [2, S, S, 3]);
    const pose = tf.tensor2d([0.65, 0.3, 0.95, 0, 1, 0.65, 0.5, 0.87, 1, 0], [2, 5]);
    const y = tf.tensor4d(rgb, [2, S, S, 3]);
    const cfg = DEFAULT_BASELINE_CONFIG.tco;
    const step = () => {
      const { value, grads } = net.params.grads(() => tf.tidy(() => tcoLoss(cfg, net.apply(x, pose).image, y)));
      adam.apply(grads);
      const v = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return v;
    };
    const first = step();
    await assertNoTensorLeak(step, 2);
    let last = first;
    for (let i = 0; i < 37; i++) last = step();
    assert.ok(last < first / 3, `loss ${first} → ${last}`);
    tf.dispose([x, pose, y]);
    adam.dispose();
    net.dispose();
  });

  it('the probe head overfits fixed features: 8·CE falls ≥ 4× within 60 steps', () => {
    const S = 16;
    const head = new TcoProbeHead(3, 0);
    const adam = new DenseAdam(head.params.trainable, ADAM(1e-2));
    const f = tf.tensor4d(Rng.derive(0, 'f').normalArray(2 * 8 * 8 * 32), [2, 8, 8, 32]);
    const lab = tf.tensor3d(toyImages(S).labels, [2, S, S], 'int32');
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const { value, grads } = head.params.grads(() => tf.tidy(() => tf.mul(8, crossEntropyLoss(head.apply(f), lab)) as tf.Scalar));
      adam.apply(grads);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.ok(losses.at(-1)! < losses[0] / 4, `${losses[0]} → ${losses.at(-1)}`);
    tf.dispose([f, lab]);
    adam.dispose();
    head.dispose();
  });
});

describe("the authors' 2-D U-Net", () => {
  it('overfits two labelled images: CE falls ≥ 4× within 60 steps (train mode, BN + dropout), without leaking tensors', async () => {
    const S = 16;
    const C = 3;
    const net = new Unet2d({ inChannels: 4, outChannels: C, nf0: 8, numDown: 3, maxChannels: 16, dropout: 0.1, fixedDropout: 0.1, upActivation: 'relu', bnMomentum: 0.1, bnEps: 1e-5 }, 2);
    const { rgb, labels } = toyImages(S, C);
    const rgba = new Float32Array(2 * S * S * 4);
    for (let p = 0; p < 2 * S * S; p++) rgba.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 1], 4 * p);
    const images = [0, 1].map((b) => ({ rgba: rgba.slice(b * S * S * 4, (b + 1) * S * S * 4), labels: labels.slice(b * S * S, (b + 1) * S * S) }));
    const set = memoryImageSet(images, S);
    const cfg = { steps: 60, batchSize: 2, adam: ADAM(3e-3), evalEvery: 0, patience: 0 };
    const before = tf.memory().numTensors;
    const r = await trainUnet2d(net, cfg, set, null, C, 0);
    assert.equal(tf.memory().numTensors, before, 'a whole training run leaves no tensors behind');
    assert.ok(r.history.at(-1)! < r.history[0] / 4, `CE ${r.history[0]} → ${r.history.at(-1)}`);
    // One more step at a time: no growth either.
    await assertNoTensorLeak(() => trainUnet2d(net, { ...cfg, steps: 1 }, set, null, C, 1), 2);
    net.dispose();
  });

  it('early stopping keeps the weights of the best validation mIOU', async () => {
    const S = 8;
    const net = new Unet2d({ inChannels: 4, outChannels: 2, nf0: 4, numDown: 2, maxChannels: 8, dropout: 0, fixedDropout: 0, upActivation: 'relu', bnMomentum: 0.1, bnEps: 1e-5 }, 3);
    const img = { rgba: new Float32Array(S * S * 4).map((_, i) => (i % 4 === 3 ? 1 : ((i >> 2) % S) / S)), labels: new Int32Array(S * S).map((_, i) => (i % S < S / 2 ? 0 : 1)) };
    const set = memoryImageSet([img, img], S);
    const r = await trainUnet2d(net, { steps: 6, batchSize: 2, adam: ADAM(1e-2), evalEvery: 1, patience: 2 }, set, set, 2, 0);
    assert.ok(r.validation.length >= 1);
    const best = Math.max(...r.validation.map(([, m]) => m));
    assert.equal(r.bestValMIOU, best);
    assert.equal(r.validation.find(([, m]) => m === best)![0], r.bestStep);
    net.dispose();
  });
});
