/**
 * The authors' weights in our model: test/fixtures/authors-tiny holds a small SRN built from the authors' own modules
 * and saved by torch.save (bench/parity/authors_fixture.py), with the outputs of their forward pass and of one training
 * step. Imported, our model must give the same features, depth, RGB, linear and U-Net head logits on the same rays, and
 * the same losses and gradients.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RGB_LOSS_WEIGHTS } from '../../lib/config/defaults';
import { npyToFloat32, readNpy } from '../../lib/io/npy';
import { crossEntropyLoss, depthLoss, imageLoss, latentLoss, weightedTotal } from '../../lib/losses/losses';
import { readTorchCheckpoint, readTorchStateDict, type TorchTensor } from '../../lib/io/torch_checkpoint';
import { authorsModel, saveAuthorsCheckpoint, type AuthorsWeightsSource } from '../../lib/training/authors_weights';
import { loadCheckpoint, restoreModel } from '../../lib/training/checkpoint';
import { useBackend } from '../helpers/tf';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'authors-tiny');
const npy = (name: string) => {
  const a = readNpy(join(FIX, `${name}.npy`));
  return { shape: a.shape, data: npyToFloat32(a) };
};
const source = (): AuthorsWeightsSource => ({
  srn: { file: join(FIX, 'srn.pth'), tensors: readTorchStateDict(join(FIX, 'srn.pth')) },
  linear: { file: join(FIX, 'linear.pth'), tensors: readTorchStateDict(join(FIX, 'linear.pth')) },
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type Model = ReturnType<typeof authorsModel>['model'];

/** The fixture's rays (their intrinsics matrices as our fx, fy, cx, cy) and the codes of its two objects. Inside a tidy. */
function fixtureInputs(model: Model) {
  const K = npy('intrinsics');
  const idx = Array.from(npy('instance_idx').data);
  const pose = npy('pose');
  const uv = npy('uv');
  return {
    rays: {
      uv: tf.tensor3d(uv.data, uv.shape as [number, number, number]),
      intrinsics: tf.tensor2d(idx.flatMap((_, b) => [K.data[9 * b], K.data[9 * b + 4], K.data[9 * b + 2], K.data[9 * b + 5]]), [idx.length, 4]),
      cam2world: tf.tensor3d(pose.data, [idx.length, 4, 4]),
    },
    z: tf.tensor2d(idx.flatMap((i) => Array.from(model.latents.row(i))), [idx.length, model.latents.dim]),
  };
}

/** Our forward pass on the fixture's rays: features, depth, RGBA, linear logits. */
function ourForward(model: Model) {
  return tf.tidy(() => {
    const { rays, z } = fixtureInputs(model);
    const out = model.forward(z, rays);
    const seg = model.head('linear').apply(out.features);
    const segUnet = model.head('unet').apply(out.features, { side: 16, training: false });
    return { features: out.features.dataSync(), depth: out.depth.dataSync(), rgb: out.rgba.dataSync(), seg: seg.dataSync(), seg_unet: segUnet.dataSync() };
  });
}

describe("the authors' PyTorch weights", () => {
  const root = mkdtempSync(join(tmpdir(), 'srn-authors-'));
  before(async () => useBackend());
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads their torch.save files: the state dict under "model", with their names and shapes', () => {
    const sd = readTorchStateDict(join(FIX, 'srn.pth'));
    assert.deepEqual(sd.get('latent_codes.weight')!.shape, [3, 16]);
    assert.deepEqual(sd.get('ray_marcher.lstm.weight_ih')!.shape, [64, 32]);
    assert.deepEqual(sd.get('hyper_phi.layers.0.hyper_linear.slave_params.net.2.weight')!.shape, [3 * 32 + 32, 16]);
    assert.equal(sd.get('latent_codes.weight')!.dtype, 'float32');
    const whole = readTorchCheckpoint(join(FIX, 'linear.pth')) as Record<string, Record<string, TorchTensor>>;
    assert.deepEqual(Object.keys(whole), ['model']);
    assert.deepEqual(whole.model['linear.weight'].shape, [6, 32]);
  });

  it('gives their forward pass: features, depth, RGB, linear and U-Net head logits within float32 rounding', () => {
    const tensors = tf.memory().numTensors;
    const { model, config, unused } = authorsModel(source());
    try {
      assert.deepEqual(unused, []);
      const m = config.model;
      assert.deepEqual([m.latentDim, m.phiWidth, m.phiLayers, m.hyperHidden, m.hyperHiddenLayers, m.lstmHidden, m.marchSteps, m.rendererHiddenLayers, m.rendererWidth, m.rgbChannels, m.numClasses], [16, 32, 4, 16, 2, 16, 10, 5, 32, 4, 6]);
      assert.deepEqual([m.unet.nf0, m.unet.numDown, m.unet.maxChannels], [4, 3, 8]);
      assert.deepEqual([...model.heads.keys()], ['linear', 'unet']);
      const ours = ourForward(model);
      const want = { features: npy('features'), depth: npy('depth'), rgb: npy('rgb'), seg: npy('seg'), seg_unet: npy('seg_unet') };
      // O(1) values after ten marching steps: measured within 1e-5 of theirs (float32 rounding on both sides).
      for (const k of ['features', 'depth', 'rgb', 'seg', 'seg_unet'] as const) {
        const d = maxAbsDiff(ours[k], want[k].data);
        assert.ok(d < 1e-4, `${k}: max |ours − theirs| = ${d}`);
      }
      // Not trivially equal: the two objects and the two views differ.
      assert.ok(maxAbsDiff(ours.depth.slice(0, 256), ours.depth.slice(256)) > 0.01);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it("gives their training step's losses and gradients (their train.py's loss; the linear probe's cross-entropy)", () => {
    const tensors = tf.memory().numTensors;
    const { model } = authorsModel(source());
    const want = JSON.parse(readFileSync(join(FIX, 'losses.json'), 'utf8')) as Record<string, number>;
    const grad = (name: string) => npy(join('grad', name));
    // Their name → ours; their Linear weights are [out, in], ours [in, out].
    const pairs: [string, string, boolean][] = [
      ['hyper_phi.layers.0.hyper_linear.slave_params.net.0.net.0.weight', 'hypernet.0.fc0.W', true],
      ['hyper_phi.layers.3.hyper_linear.slave_params.net.2.weight', 'hypernet.3.out.W', true],
      ['hyper_phi.layers.1.hyper_linear.slave_params.net.1.net.1.weight', 'hypernet.1.ln1.gamma', false],
      ['ray_marcher.lstm.weight_hh', 'raymarcher.lstm.Whh', true],
      ['ray_marcher.lstm.bias_ih', 'raymarcher.lstm.bih', false],
      ['ray_marcher.out_layer.weight', 'raymarcher.step.W', true],
      ['pixel_generator.net.0.net.0.weight', 'renderer.fc0.W', true],
      ['pixel_generator.net.5.weight', 'renderer.out.W', true],
      ['linear.weight', 'segHead.linear.fc.W', true],
      ['linear.bias', 'segHead.linear.fc.b', false],
    ];
    try {
      const vars = pairs.map(([, ours]) => model.params.get(ours)!.variable);
      let got!: { losses: Record<string, number>; grads: Map<string, Float32Array> };
      tf.tidy(() => {
        const { rays, z } = fixtureInputs(model);
        const zv = tf.variable(z, true);
        const target = npy('target');
        const labels = npy('labels');
        const parts: Record<string, number> = {};
        // The SRN's step (image, depth and latent terms at train.py's weights) and the probe's (frozen features).
        const srn = tf.variableGrads(() => {
          const out = model.forward(zv as unknown as tf.Tensor2D, rays);
          const terms = { img: imageLoss(out.rgba, tf.tensor3d(target.data, target.shape as [number, number, number])), latent: latentLoss(zv), depth: depthLoss(out.depth) };
          for (const [k, t] of Object.entries(terms)) parts[k] = t.dataSync()[0];
          return weightedTotal(terms, RGB_LOSS_WEIGHTS);
        }, [zv, ...vars.slice(0, 8)]);
        const features = tf.tidy(() => model.forward(z, rays, { rgb: false }).features);
        const probe = tf.variableGrads(() => crossEntropyLoss(model.head('linear').apply(features), tf.tensor2d(Array.from(labels.data), [2, 256], 'int32')), vars.slice(8));
        got = { losses: { ...parts, total: srn.value.dataSync()[0], ce: probe.value.dataSync()[0] }, grads: new Map<string, Float32Array>() };
        got.grads.set('z', srn.grads[zv.name].dataSync() as Float32Array);
        pairs.forEach(([theirs], k) => {
          const g = (k < 8 ? srn : probe).grads[vars[k].name];
          got.grads.set(theirs, (pairs[k][2] ? g.transpose() : g).dataSync() as Float32Array);
        });
        zv.dispose();
      });
      const { losses, grads } = got;
      assert.ok(Math.abs(losses.img - want.img) < 1e-5 * want.img, `img ${losses.img} vs ${want.img}`);
      assert.ok(Math.abs(losses.depth - want.reg) < 1e-4 * want.reg, `depth ${losses.depth} vs ${want.reg}`);
      assert.ok(Math.abs(losses.latent - want.latent) < 1e-6, `latent ${losses.latent} vs ${want.latent}`);
      assert.ok(Math.abs(losses.total - want.total) < 1e-5 * want.total, `total ${losses.total} vs ${want.total}`);
      assert.ok(Math.abs(losses.ce - want.ce) < 1e-5, `ce ${losses.ce} vs ${want.ce}`);
      // Measured within 2e-6 of each gradient's largest entry (float32 through ten marching steps, both sides).
      for (const [name, g] of grads) {
        const ref = grad(name).data;
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const d = maxAbsDiff(g, ref);
        assert.ok(scale > 0 && d < 2e-5 * scale, `${name}: max |ours − theirs| = ${d} of max ${scale}`);
      }
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('fails the comparison when a weight is mapped wrongly (the LSTM weights left untransposed are caught)', () => {
    const src = source();
    const w = src.srn.tensors.get('ray_marcher.lstm.weight_hh')!;
    // Swap the input and forget gates' rows: same shape, wrong mapping.
    const H = w.shape[1];
    const data = w.data.slice();
    data.set(w.data.subarray(H * H, 2 * H * H), 0);
    data.set(w.data.subarray(0, H * H), H * H);
    src.srn.tensors.set('ray_marcher.lstm.weight_hh', { ...w, data });
    const { model } = authorsModel(src);
    try {
      assert.ok(maxAbsDiff(ourForward(model).depth, npy('depth').data) > 1e-3);
    } finally {
      model.dispose();
    }
  });

  it('writes a checkpoint that restores to the same model (eval --checkpoint reads it)', () => {
    const dir = join(root, 'imported');
    const saved = saveAuthorsCheckpoint(dir, source(), { config: { data: { className: 'Chair' } } });
    const before = ourForward(saved.model);
    saved.model.dispose();
    const ck = loadCheckpoint(dir);
    assert.equal(ck.manifest.stage, 'probe');
    assert.deepEqual(ck.manifest.heads, ['linear', 'unet']);
    assert.equal(ck.manifest.versions?.data, 'external');
    assert.equal(ck.manifest.config.data.className, 'Chair');
    const model = restoreModel(ck);
    try {
      const after = ourForward(model);
      assert.equal(maxAbsDiff(after.seg, before.seg), 0);
      assert.equal(maxAbsDiff(after.seg_unet, before.seg_unet), 0);
    } finally {
      model.dispose();
    }
  });

  it('names the file and what is wrong: a missing tensor, a mismatched probe, a file that is not a checkpoint', () => {
    const src = source();
    src.srn.tensors.delete('ray_marcher.out_layer.bias');
    assert.throws(() => authorsModel(src), /srn\.pth: tensor 'ray_marcher\.out_layer\.bias' is missing/);
    const wide = source();
    const lw = wide.linear!.tensors.get('linear.weight')!;
    wide.linear!.tensors.set('linear.weight', { ...lw, shape: [4, 48], data: new Float32Array(4 * 48) });
    assert.throws(() => authorsModel(wide), /linear\.pth: linear\.weight has shape \[48\], \[32\] expected/);
    const notZip = join(root, 'not.pth');
    writeFileSync(notZip, 'hello');
    assert.throws(() => readTorchCheckpoint(notZip), /not\.pth: not a PyTorch checkpoint/);
    const cut = join(root, 'cut.pth');
    const bytes = readFileSync(join(FIX, 'srn.pth'));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    assert.throws(() => readTorchCheckpoint(cut), /cut\.pth: (not a PyTorch checkpoint|corrupt zip)/);
    const copy = join(root, 'linear-as-srn.pth');
    copyFileSync(join(FIX, 'linear.pth'), copy);
    assert.throws(() => authorsModel({ srn: { file: copy, tensors: readTorchStateDict(copy) } }), /linear-as-srn\.pth: tensor 'latent_codes\.weight' is missing/);
  });
});
