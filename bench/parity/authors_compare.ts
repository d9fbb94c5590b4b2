/**
 * Our model on the authors' weights against their outputs: a fixture folder written by authors_fixture.py (their
 * srn.pth and linear.pth, the rays, their forward outputs, one training step's losses and gradients) is imported and
 * run through our forward pass and training step. Used by test/training/authors_weights.test.ts (the committed tiny
 * fixture) and by authors_weights.ts (any fixture, e.g. their full-size constructor's, as JSON).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_LATENT_ADAM, RGB_LOSS_WEIGHTS, SEMANTIC_LOSS_WEIGHTS } from '../../lib/config/defaults';
import { npyToFloat32, readNpy } from '../../lib/io/npy';
import { readTorchStateDict } from '../../lib/io/torch_checkpoint';
import { crossEntropyLoss, depthLoss, imageLoss, latentLoss, weightedTotal } from '../../lib/losses/losses';
import type { SrnModel } from '../../lib/srn/model';
import { SparseAdam } from '../../lib/training/adam';
import type { AuthorsWeightsSource } from '../../lib/training/authors_weights';
import { trainStep } from '../../lib/training/step';
import { Rng } from '../../lib/util/random';

export const FORWARD_OUTPUTS = ['features', 'depth', 'rgb', 'seg', 'seg_unet'] as const;
export type ForwardOutput = (typeof FORWARD_OUTPUTS)[number];

/** Their parameter → ours, and whether their [out, in] layout is transposed to our [in, out]; the last two are the probe's. */
export const GRAD_PAIRS: readonly [string, string, boolean][] = [
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
const SRN_PAIRS = 8;

const npyCache = new Map<string, { shape: number[]; data: Float32Array }>();

/** A fixture array as float32 (read once per process: every comparison reads the rays and targets again). */
export function fixtureNpy(dir: string, name: string): { shape: number[]; data: Float32Array } {
  const path = join(dir, `${name}.npy`);
  let got = npyCache.get(path);
  if (!got) {
    const a = readNpy(path);
    got = { shape: a.shape, data: npyToFloat32(a) };
    npyCache.set(path, got);
  }
  return { shape: got.shape, data: got.data.slice() };
}

/** The fixture's per-pixel labels [objects, pixels] as an int32 tensor (the cross-entropy's target). */
export function fixtureLabels(dir: string): tf.Tensor2D {
  const labels = fixtureNpy(dir, 'labels');
  return tf.tensor2d(Int32Array.from(labels.data), [labels.shape[0], labels.shape[1]], 'int32');
}

export function fixtureSource(dir: string): AuthorsWeightsSource {
  return {
    srn: { file: join(dir, 'srn.pth'), tensors: readTorchStateDict(join(dir, 'srn.pth')) },
    linear: { file: join(dir, 'linear.pth'), tensors: readTorchStateDict(join(dir, 'linear.pth')) },
  };
}

/** The fixture's rays (their intrinsics matrices as our fx, fy, cx, cy) and its objects' codes. Call inside a tidy. */
function fixtureInputs(model: SrnModel, dir: string) {
  const K = fixtureNpy(dir, 'intrinsics');
  const idx = Array.from(fixtureNpy(dir, 'instance_idx').data);
  const pose = fixtureNpy(dir, 'pose');
  const uv = fixtureNpy(dir, 'uv');
  const k = K.shape[1] * K.shape[2];
  return {
    rays: {
      uv: tf.tensor3d(uv.data, uv.shape as [number, number, number]),
      intrinsics: tf.tensor2d(idx.flatMap((_, b) => [K.data[k * b], K.data[k * b + K.shape[2] + 1], K.data[k * b + 2], K.data[k * b + K.shape[2] + 2]]), [idx.length, 4]),
      cam2world: tf.tensor3d(pose.data, [idx.length, 4, 4]),
    },
    z: tf.tensor2d(idx.flatMap((i) => Array.from(model.latents.row(i))), [idx.length, model.latents.dim]),
    side: Math.round(Math.sqrt(uv.shape[1])),
  };
}

/** Our forward pass on the fixture's rays: features, depth, RGBA and each head's logits (the U-Net in eval mode). */
export function ourForward(model: SrnModel, dir: string): Record<ForwardOutput, Float32Array> {
  return tf.tidy(() => {
    const { rays, z, side } = fixtureInputs(model, dir);
    const out = model.forward(z, rays);
    const seg = model.head('linear').apply(out.features);
    const segUnet = model.head('unet').apply(out.features, { side, training: false });
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    return { features: read(out.features), depth: read(out.depth), rgb: read(out.rgba), seg: read(seg), seg_unet: read(segUnet) };
  });
}

/**
 * Our training step on the fixture: their train.py loss (image, depth, latent at its default weights, our
 * RGB_LOSS_WEIGHTS) and the probe's cross-entropy on the frozen features; the losses and, by their names, the gradients.
 */
export function ourTrainingStep(model: SrnModel, dir: string): { losses: Record<string, number>; grads: Map<string, Float32Array> } {
  const vars = GRAD_PAIRS.map(([, ours]) => {
    const v = model.params.get(ours)?.variable;
    if (!v) throw new Error(`ourTrainingStep: the model has no parameter '${ours}'`);
    return v;
  });
  let got!: { losses: Record<string, number>; grads: Map<string, Float32Array> };
  tf.tidy(() => {
    const { rays, z } = fixtureInputs(model, dir);
    const zv = tf.variable(z, true);
    const target = fixtureNpy(dir, 'target');
    const parts: Record<string, number> = {};
    const srn = tf.variableGrads(() => {
      const out = model.forward(zv as unknown as tf.Tensor2D, rays);
      const terms = { img: imageLoss(out.rgba, tf.tensor3d(target.data, target.shape as [number, number, number])), latent: latentLoss(zv), depth: depthLoss(out.depth) };
      for (const [k, t] of Object.entries(terms)) parts[k] = t.dataSync()[0];
      return weightedTotal(terms, RGB_LOSS_WEIGHTS);
    }, [zv, ...vars.slice(0, SRN_PAIRS)]);
    const features = tf.tidy(() => model.forward(z, rays, { rgb: false }).features);
    const labelTensor = fixtureLabels(dir);
    const probe = tf.variableGrads(() => crossEntropyLoss(model.head('linear').apply(features), labelTensor), vars.slice(SRN_PAIRS));
    got = { losses: { ...parts, total: srn.value.dataSync()[0], ce: probe.value.dataSync()[0] }, grads: new Map() };
    got.grads.set('z', srn.grads[zv.name].dataSync() as Float32Array);
    GRAD_PAIRS.forEach(([theirs, , transposed], k) => {
      const g = (k < SRN_PAIRS ? srn : probe).grads[vars[k].name];
      got.grads.set(theirs, (transposed ? g.transpose() : g).dataSync() as Float32Array);
    });
    zv.dispose();
  });
  return got;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export interface AuthorsComparison {
  /** max |ours − theirs| and max |theirs| of each forward output. */
  forward: Record<ForwardOutput, { maxAbsDiff: number; maxAbs: number }>;
  losses: Record<string, { ours: number; theirs: number }>;
  /** max |ours − theirs| and max |theirs| of each gradient, by their name ('z': the codes). */
  grads: Record<string, { maxAbsDiff: number; maxAbs: number }>;
}

/** Our forward outputs against theirs, for a model imported from `dir`'s weights. */
export function compareForward(model: SrnModel, dir: string): AuthorsComparison['forward'] {
  const ours = ourForward(model, dir);
  const forward = {} as AuthorsComparison['forward'];
  for (const k of FORWARD_OUTPUTS) {
    const theirs = fixtureNpy(dir, k).data;
    forward[k] = { maxAbsDiff: maxAbsDiff(ours[k], theirs), maxAbs: maxAbs(theirs) };
  }
  return forward;
}

/** Our training step's losses and gradients against theirs. */
export function compareStep(model: SrnModel, dir: string): Omit<AuthorsComparison, 'forward'> {
  const step = ourTrainingStep(model, dir);
  const want = JSON.parse(readFileSync(join(dir, 'losses.json'), 'utf8')) as Record<string, number>;
  const losses: AuthorsComparison['losses'] = {};
  for (const [k, theirsKey] of [['img', 'img'], ['depth', 'reg'], ['latent', 'latent'], ['total', 'total'], ['ce', 'ce']] as const) losses[k] = { ours: step.losses[k], theirs: want[theirsKey] };
  const grads: AuthorsComparison['grads'] = {};
  for (const [name, g] of step.grads) {
    const theirs = fixtureNpy(dir, join('grad', name)).data;
    grads[name] = { maxAbsDiff: maxAbsDiff(g, theirs), maxAbs: maxAbs(theirs) };
  }
  return { losses, grads };
}

/**
 * Our test-time fit on the fixture, through the trainer's own step (trainStep: everything frozen but the codes, which
 * the latent SparseAdam moves; lr 4e-4, betas 0.5/0.5, eps 1e-5 as their train.py): the loss of every step (before its
 * update) and the fixture objects' codes after `steps`. The model's codes move; import a fresh model to compare again.
 */
export function ourFit(model: SrnModel, dir: string, steps: number): { losses: number[]; codes: Float32Array } {
  const idx = Array.from(fixtureNpy(dir, 'instance_idx').data);
  const target = fixtureNpy(dir, 'target');
  const batch = tf.tidy(() => {
    const { rays, side } = fixtureInputs(model, dir);
    return { side, rays, rgba: tf.tensor3d(target.data, target.shape as [number, number, number]) };
  });
  const adam = new SparseAdam(model.latents, DEFAULT_LATENT_ADAM);
  const instanceIndex = tf.tensor1d(idx, 'int32');
  const losses: number[] = [];
  try {
    for (let k = 0; k < steps; k++) {
      const rec = trainStep({
        model,
        batch: {
          instanceIndex,
          instancePositions: idx,
          viewIndex: idx.map(() => 0),
          rgba: batch.rgba,
          cam2world: batch.rays.cam2world,
          intrinsics: batch.rays.intrinsics,
          side: batch.side,
        },
        weights: RGB_LOSS_WEIGHTS,
        latent: { table: model.latents, rows: idx, adam },
        raysPerImage: null,
        rng: new Rng(0),
      });
      losses.push(rec.loss);
    }
  } finally {
    tf.dispose([instanceIndex, batch.rgba, batch.rays.uv, batch.rays.intrinsics, batch.rays.cam2world]);
  }
  const codes = new Float32Array(idx.length * model.latents.dim);
  idx.forEach((i, b) => codes.set(model.latents.row(i), b * model.latents.dim));
  return { losses, codes };
}

/** Their name → ours, and how our gradient is laid out as theirs: 'conv' [kh,kw,in,out] → [out,in,kh,kw], 'dense' transposed. */
export const SEMANTIC_PAIRS: readonly [string, string, 'conv' | 'dense' | 'same'][] = [
  ['class_generator.in_layer.0.net.1.weight', 'segHead.unet.in.conv.W', 'conv'],
  ['class_generator.in_layer.1.weight', 'segHead.unet.in.bn.gamma', 'same'],
  ['class_generator.unet_block.model.0.net.5.weight', 'segHead.unet.block0.down.W', 'conv'],
  ['class_generator.unet_block.model.0.net.6.bias', 'segHead.unet.block0.downBn.beta', 'same'],
  ['class_generator.out_layer.0.net.1.bias', 'segHead.unet.out.conv.b', 'same'],
  ['hyper_phi.layers.3.hyper_linear.slave_params.net.2.weight', 'hypernet.3.out.W', 'dense'],
];
/** Running statistics after the step's forward pass: theirs → ours (FeatureUnet's order: in mean, in var, block0 prep, down…). */
export const SEMANTIC_STATS: readonly [string, string][] = [
  ['class_generator.in_layer.1.running_mean', 'segHead.unet.bnStat0'],
  ['class_generator.unet_block.model.0.net.6.running_var', 'segHead.unet.bnStat5'],
];

/**
 * The fully supervised model's step (SEMANTIC_LOSS_WEIGHTS: image, 8 × cross-entropy of the U-Net head in train mode,
 * depth, latent) against theirs: losses, gradients and the BatchNorm running statistics it moves. Run it on a freshly
 * imported model: the train-mode pass moves the head's statistics.
 */
export function compareSemantic(model: SrnModel, dir: string): Omit<AuthorsComparison, 'forward'> {
  const sub = join(dir, 'semantic');
  const vars = SEMANTIC_PAIRS.map(([, ours]) => {
    const v = model.params.get(ours)?.variable;
    if (!v) throw new Error(`compareSemantic: the model has no parameter '${ours}'`);
    return v;
  });
  const want = JSON.parse(readFileSync(join(sub, 'losses.json'), 'utf8')) as Record<string, number>;
  const losses: AuthorsComparison['losses'] = {};
  const grads: AuthorsComparison['grads'] = {};
  const compare = (name: string, ours: ArrayLike<number>) => {
    const theirs = fixtureNpy(sub, name).data;
    grads[name] = { maxAbsDiff: maxAbsDiff(ours, theirs), maxAbs: maxAbs(theirs) };
  };
  tf.tidy(() => {
    const { rays, z, side } = fixtureInputs(model, dir);
    const zv = tf.variable(z, true);
    const target = fixtureNpy(dir, 'target');
    const labels = fixtureLabels(dir);
    const parts: Record<string, number> = {};
    const { value, grads: g } = tf.variableGrads(() => {
      const out = model.forward(zv as unknown as tf.Tensor2D, rays);
      const logits = model.head('unet').apply(out.features, { side, training: true });
      const terms = {
        img: imageLoss(out.rgba, tf.tensor3d(target.data, target.shape as [number, number, number])),
        ce: crossEntropyLoss(logits, labels),
        latent: latentLoss(zv),
        depth: depthLoss(out.depth),
      };
      for (const [k, t] of Object.entries(terms)) parts[k] = t.dataSync()[0];
      return weightedTotal(terms, SEMANTIC_LOSS_WEIGHTS);
    }, [zv, ...vars]);
    for (const [k, theirsKey] of [['img', 'img'], ['ce', 'ce'], ['depth', 'reg'], ['latent', 'latent']] as const) losses[k] = { ours: parts[k], theirs: want[theirsKey] };
    losses.total = { ours: value.dataSync()[0], theirs: want.total };
    compare('z', g[zv.name].dataSync());
    SEMANTIC_PAIRS.forEach(([theirs, , layout], k) => {
      const gk = g[vars[k].name];
      compare(theirs, (layout === 'conv' ? gk.transpose([3, 2, 0, 1]) : layout === 'dense' ? gk.transpose() : gk).dataSync());
    });
    zv.dispose();
  });
  const stats = model.head('unet').namedState();
  for (const [theirs, ours] of SEMANTIC_STATS) compare(theirs, stats[ours].dataSync());
  return { losses, grads };
}
