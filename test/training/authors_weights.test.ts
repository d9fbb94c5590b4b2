/**
 * The authors' weights in our model: test/fixtures/authors-tiny holds a small SRN built from the authors' own modules
 * and saved by torch.save (bench/parity/authors_fixture.py), with the outputs of their forward pass and of one training
 * step and a 20-step test-time fit. Imported, our model must give the same features, depth, RGB, linear and U-Net head
 * logits on the same rays, the same losses and gradients, and the same fit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readTorchCheckpoint, readTorchStateDict, type TorchTensor } from '../../lib/io/torch_checkpoint';
import type { SrnModel } from '../../lib/srn/model';
import { authorsModel, saveAuthorsCheckpoint, toAuthorsLayout } from '../../lib/training/authors_weights';
import { loadCheckpoint, restoreModel } from '../../lib/training/checkpoint';
import { useBackend } from '../helpers/tf';
import { compareForward, compareSemantic, compareStep, fixtureNpy, fixtureSource, maxAbsDiff, ourFit, ourForward as oursOn } from '../../bench/parity/authors_compare';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'authors-tiny');
const npy = (name: string) => fixtureNpy(FIX, name);
const source = () => fixtureSource(FIX);
const ourForward = (model: SrnModel) => oursOn(model, FIX);

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

  it("says where each of our tensors came from: laid back out as theirs, every one equals their tensor", () => {
    const src = source();
    const tensors = tf.memory().numTensors;
    const { model, sources } = authorsModel(src);
    try {
      const stats = model.head('unet').namedState();
      const ours = [...model.params.list().map((p) => p.name).filter((n) => n !== 'latents'), ...Object.keys(stats)];
      assert.deepEqual(Object.keys(sources).sort(), ours.sort());
      const layouts = new Set<string>();
      for (const [name, { theirs, layout }] of Object.entries(sources)) {
        const file = theirs.startsWith('linear.') ? src.linear! : src.srn;
        const want = file.tensors.get(theirs);
        assert.ok(want, `${name}: their '${theirs}' is not in ${file.file}`);
        const back = toAuthorsLayout(model.params.get(name)?.variable ?? stats[name], layout);
        assert.deepEqual(back.shape, want.shape, `${name} → ${theirs}`);
        assert.deepEqual(Array.from(back.dataSync()), Array.from(want.data), `${name} → ${theirs}`);
        back.dispose();
        layouts.add(layout);
      }
      assert.deepEqual([...layouts].sort(), ['conv', 'dense', 'upconv', 'vector']);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors);
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
      // O(1) values after ten marching steps: measured within 1e-5 of theirs (float32 rounding on both sides).
      const forward = compareForward(model, FIX);
      assert.deepEqual(Object.keys(forward), ['features', 'depth', 'rgb', 'seg', 'seg_unet']);
      for (const [k, c] of Object.entries(forward)) assert.ok(c.maxAbsDiff < 1e-4, `${k}: max |ours − theirs| = ${c.maxAbsDiff}`);
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
    try {
      const c = compareStep(model, FIX);
      const { img, depth, latent, total, ce } = c.losses;
      assert.ok(depth.theirs > 1, 'the fixture has negative depths: the depth term takes part');
      assert.ok(Math.abs(img.ours - img.theirs) < 1e-5 * img.theirs, `img ${img.ours} vs ${img.theirs}`);
      assert.ok(Math.abs(depth.ours - depth.theirs) < 1e-4 * depth.theirs, `depth ${depth.ours} vs ${depth.theirs}`);
      assert.ok(Math.abs(latent.ours - latent.theirs) < 1e-6, `latent ${latent.ours} vs ${latent.theirs}`);
      assert.ok(Math.abs(total.ours - total.theirs) < 1e-5 * total.theirs, `total ${total.ours} vs ${total.theirs}`);
      assert.ok(Math.abs(ce.ours - ce.theirs) < 1e-5, `ce ${ce.ours} vs ${ce.theirs}`);
      assert.equal(Object.keys(c.grads).length, 11);
      // Measured within 2e-6 of each gradient's largest entry (float32 through ten marching steps, both sides).
      for (const [name, g] of Object.entries(c.grads)) assert.ok(g.maxAbs > 0 && g.maxAbsDiff < 2e-5 * g.maxAbs, `${name}: max |ours − theirs| = ${g.maxAbsDiff} of max ${g.maxAbs}`);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it("gives their test-time fit: 20 steps of the latent SparseAdam through our trainStep, loss by loss, to the same codes", () => {
    const tensors = tf.memory().numTensors;
    const { model } = authorsModel(source());
    try {
      const want = npy('fit_losses').data;
      const { losses, codes } = ourFit(model, FIX, want.length);
      assert.equal(losses.length, 20);
      // Measured within 5e-7 of their loss at every step, and the codes within 1e-6 after 20 steps.
      losses.forEach((l, k) => assert.ok(Math.abs(l - want[k]) < 1e-5 * want[k], `step ${k + 1}: ${l} vs ${want[k]}`));
      assert.ok(want[19] < want[0] - 10, 'the fit moves the loss');
      const theirs = npy('fit_codes').data;
      assert.ok(maxAbsDiff(codes, theirs) < 1e-5, `codes: max |ours − theirs| = ${maxAbsDiff(codes, theirs)}`);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors);
  });

  it("gives their fully supervised step: 8 × CE through the U-Net head in train mode, its gradients and the BN statistics it moves", () => {
    const tensors = tf.memory().numTensors;
    const { model } = authorsModel(source());
    try {
      const c = compareSemantic(model, FIX);
      for (const [k, l] of Object.entries(c.losses)) assert.ok(Math.abs(l.ours - l.theirs) <= 1e-4 * Math.abs(l.theirs), `${k}: ${l.ours} vs ${l.theirs}`);
      assert.equal(Object.keys(c.grads).length, 9);
      // Measured within 7e-5 of each gradient's largest entry (the conv weights through batch statistics); the
      // truncated MirrorPad gradient of TF.js was 25-82% off here (lib/srn/reflect_pad.ts).
      for (const [name, g] of Object.entries(c.grads)) assert.ok(g.maxAbs > 0 && g.maxAbsDiff < 5e-4 * g.maxAbs, `${name}: max |ours − theirs| = ${g.maxAbsDiff} of max ${g.maxAbs}`);
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
