/**
 * The authors' PyTorch weights as our model: the state dict of their `SRNsModel` (latent codes, `hyper_phi`,
 * `ray_marcher`, `pixel_generator` and, in the fully supervised model, the `class_generator` U-Net head with its
 * BatchNorm statistics) and of their `LinearModel` (the linear probe) mapped onto SrnModel's parameters,
 * with the model's sizes read from the tensors' shapes. A researcher with the released checkpoints (their
 * `setup_models.sh`) evaluates them with `semantic-srn eval` on the real data; the parity test runs a forward pass of
 * both on the same weights. Their `Linear` stores [out, in]; ours computes x·W with W [in, out], so every dense
 * weight is transposed. The hypernetworks' output layout (W[out][in] then b) is the same on both sides.
 */
import * as tf from '@tensorflow/tfjs';
import type { DeepPartial, ModelConfig, SegHeadKind, SrnConfig } from '../config/types';
import { DEFAULT_UNET } from '../config/defaults';
import { presetConfig } from '../config/presets';
import type { TorchTensor } from '../io/torch_checkpoint';
import { SrnModel } from '../srn/model';
import { saveCheckpoint } from './checkpoint';

export interface AuthorsWeightsSource {
  /** Their SRNsModel's state dict and the file it came from (for messages). */
  srn: { file: string; tensors: Map<string, TorchTensor> };
  /** Their LinearModel's state dict (`linear.weight`, `linear.bias`), when a probe is imported too. */
  linear?: { file: string; tensors: Map<string, TorchTensor> };
}

export interface AuthorsModelOptions {
  /** Ray-marching steps: their `--tracing_steps` (10 in every released script); the weights do not record it. */
  marchSteps?: number;
  /** The preset the fields beside the model's come from (fits, evaluation, data): default `paper`. */
  preset?: string;
  /** Config fields beside the model's (data class, evaluation side…), over the preset. */
  config?: DeepPartial<SrnConfig>;
}

/** How one of our parameters was laid out from theirs: transposed (dense), conv [out,in,kh,kw] → [kh,kw,in,out], the flipped transpose conv, or as is. */
export type AuthorsLayout = 'dense' | 'conv' | 'upconv' | 'vector';

export interface AuthorsModel {
  config: SrnConfig;
  model: SrnModel;
  /** Their tensor names that were not used (none for the models their scripts build). */
  unused: string[];
  /** Each of our parameters and running statistics (but the codes): their tensor it came from and how it was laid out. */
  sources: Record<string, { theirs: string; layout: AuthorsLayout }>;
}

function take(src: { file: string; tensors: Map<string, TorchTensor> }, name: string, used: Set<string>, rank?: number): TorchTensor {
  const t = src.tensors.get(name);
  if (!t) throw new Error(`${src.file}: tensor '${name}' is missing (expected the authors' ${name.split('.')[0]} weights)`);
  if (rank !== undefined && t.shape.length !== rank) throw new Error(`${src.file}: '${name}' has shape [${t.shape}], a rank-${rank} tensor expected`);
  used.add(name);
  return t;
}

/** How many `${prefix}{k}…` indices exist, counting from 0, where `${prefix}{k}${suffix}` names a tensor. */
function countIndexed(tensors: Map<string, TorchTensor>, prefix: string, suffix: string): number {
  let n = 0;
  while (tensors.has(`${prefix}${n}${suffix}`)) n++;
  return n;
}

/** Their FCBlock under `prefix`: n × FCLayer (`net.k.net.0` Linear, `net.k.net.1` LayerNorm) then `net.n` Linear. */
function fcBlock(src: AuthorsWeightsSource['srn'], prefix: string, used: Set<string>) {
  const n = countIndexed(src.tensors, `${prefix}.net.`, '.net.0.weight');
  if (n === 0) throw new Error(`${src.file}: no FCBlock layers under '${prefix}' (expected '${prefix}.net.0.net.0.weight')`);
  const hidden = Array.from({ length: n }, (_, k) => ({
    W: take(src, `${prefix}.net.${k}.net.0.weight`, used, 2),
    b: take(src, `${prefix}.net.${k}.net.0.bias`, used, 1),
    gamma: take(src, `${prefix}.net.${k}.net.1.weight`, used, 1),
    beta: take(src, `${prefix}.net.${k}.net.1.bias`, used, 1),
  }));
  return { hidden, out: { W: take(src, `${prefix}.net.${n}.weight`, used, 2), b: take(src, `${prefix}.net.${n}.bias`, used, 1) } };
}

const transposed = (t: TorchTensor): tf.Tensor2D => tf.tidy(() => tf.tensor2d(Float32Array.from(t.data), [t.shape[0], t.shape[1]]).transpose() as tf.Tensor2D);
const vector = (t: TorchTensor): tf.Tensor1D => tf.tensor1d(Float32Array.from(t.data));

/** Their Conv2d weight [out, in, kh, kw] → ours [kh, kw, in, out]. */
const convWeight = (t: TorchTensor): tf.Tensor4D => tf.tidy(() => tf.tensor4d(Float32Array.from(t.data), t.shape as [number, number, number, number]).transpose([2, 3, 1, 0]) as tf.Tensor4D);
/** Their ConvTranspose2d weight [in, out, kh, kw] → ours: the direct conv over the zero-inserted input, flipped. */
const upConvWeight = (t: TorchTensor): tf.Tensor4D => tf.tidy(() => tf.reverse(tf.tensor4d(Float32Array.from(t.data), t.shape as [number, number, number, number]).transpose([2, 3, 0, 1]), [0, 1]) as tf.Tensor4D);

/**
 * Their `class_generator` (pytorch_prototyping.Unet, built by SRNsModel with BatchNorm and without dropout) as our
 * U-Net head: its sizes and every weight and running statistic under our names (segHead.unet.*; the statistics in
 * FeatureUnet's order: in, then per block prep, down, up, post). Null when the state dict has no U-Net head.
 */
function unetHeadWeights(src: AuthorsWeightsSource['srn'], used: Set<string>, weights: Record<string, tf.Tensor>, sources: AuthorsModel['sources']): { cfg: { nf0: number; numDown: number; maxChannels: number }; numClasses: number } | null {
  const T = 'class_generator';
  if (!src.tensors.has(`${T}.in_layer.0.net.1.weight`)) return null;
  const O = 'segHead.unet';
  let stats = 0;
  // Conv2dSame registers its conv twice (`x.weight` and `x.net.1.weight`): the alias is the same tensor.
  const alias = (name: string) => [name.replace(/\.net\.1\.(weight|bias)$/, '.$1')].forEach((n) => src.tensors.has(n) && used.add(n));
  const conv = (ours: string, theirs: string, bias: boolean, up = false) => {
    weights[`${ours}.W`] = (up ? upConvWeight : convWeight)(take(src, `${theirs}.weight`, used, 4));
    sources[`${ours}.W`] = { theirs: `${theirs}.weight`, layout: up ? 'upconv' : 'conv' };
    alias(`${theirs}.weight`);
    if (bias) {
      weights[`${ours}.b`] = vector(take(src, `${theirs}.bias`, used, 1));
      sources[`${ours}.b`] = { theirs: `${theirs}.bias`, layout: 'vector' };
      alias(`${theirs}.bias`);
    }
  };
  const bn = (ours: string, theirs: string) => {
    const vec = (o: string, t: string) => {
      weights[o] = vector(take(src, t, used, 1));
      sources[o] = { theirs: t, layout: 'vector' };
    };
    vec(`${ours}.gamma`, `${theirs}.weight`);
    vec(`${ours}.beta`, `${theirs}.bias`);
    vec(`${O}.bnStat${stats++}`, `${theirs}.running_mean`);
    vec(`${O}.bnStat${stats++}`, `${theirs}.running_var`);
    if (src.tensors.has(`${theirs}.num_batches_tracked`)) used.add(`${theirs}.num_batches_tracked`);
  };
  const block = (i: number) => `${T}.unet_block${'.model.1'.repeat(i)}`;
  // The innermost block has no norm: its down convs carry biases (net.1, net.4) and its up block is model.1.
  let numDown = 1;
  while (src.tensors.has(`${block(numDown)}.model.0.net.1.weight`)) numDown++;
  const nf0 = take(src, `${T}.in_layer.0.net.1.weight`, new Set(), 4).shape[0];
  conv(`${O}.in.conv`, `${T}.in_layer.0.net.1`, false);
  bn(`${O}.in.bn`, `${T}.in_layer.1`);
  let innermostWidth = nf0;
  for (let i = 0; i < numDown; i++) {
    const b = block(i);
    const p = `${O}.block${i}`;
    if (i < numDown - 1) {
      conv(`${p}.prep`, `${b}.model.0.net.1`, false);
      bn(`${p}.prepBn`, `${b}.model.0.net.2`);
      conv(`${p}.down`, `${b}.model.0.net.5`, false);
      bn(`${p}.downBn`, `${b}.model.0.net.6`);
      conv(`${p}.up`, `${b}.model.2.net.0`, false, true);
      bn(`${p}.upBn`, `${b}.model.2.net.1`);
      conv(`${p}.post`, `${b}.model.2.net.3.net.1`, false);
      bn(`${p}.postBn`, `${b}.model.2.net.4`);
    } else {
      conv(`${p}.prep`, `${b}.model.0.net.1`, true);
      conv(`${p}.down`, `${b}.model.0.net.4`, true);
      conv(`${p}.up`, `${b}.model.1.net.0`, true, true);
      conv(`${p}.post`, `${b}.model.1.net.2.net.1`, true);
      innermostWidth = weights[`${p}.prep.W`].shape[2]!;
    }
  }
  conv(`${O}.out.conv`, `${T}.out_layer.0.net.1`, true);
  if (src.tensors.has(`${T}.out_layer_weight`)) used.add(`${T}.out_layer_weight`); // Unet's alias of the same weight
  return { cfg: { nf0, numDown, maxChannels: innermostWidth }, numClasses: weights[`${O}.out.conv.W`].shape[3]! };
}

/** One of our tensors (a weight or its gradient) in the layout of their tensor it came from: the inverse of the import's. */
export function toAuthorsLayout(t: tf.Tensor, layout: AuthorsLayout): tf.Tensor {
  return tf.tidy(() => {
    if (layout === 'conv') return t.transpose([3, 2, 0, 1]);
    if (layout === 'upconv') return tf.reverse(t, [0, 1]).transpose([2, 3, 0, 1]);
    if (layout === 'dense') return t.transpose();
    return t.clone();
  });
}

/** Builds our model from the authors' weights (sizes from the shapes; the caller disposes the model). */
export function authorsModel(source: AuthorsWeightsSource, opts: AuthorsModelOptions = {}): AuthorsModel {
  const src = source.srn;
  const used = new Set<string>();
  const latents = take(src, 'latent_codes.weight', used, 2);
  const [numInstances, latentDim] = latents.shape;
  // HyperFC: every phi layer is a HyperLayer (`hyper_linear`; theirs is built with outermost_linear=False).
  const phiLayers = countIndexed(src.tensors, 'hyper_phi.layers.', '.hyper_linear.slave_params.net.0.net.0.weight');
  if (phiLayers < 2) throw new Error(`${src.file}: expected the hypernetwork 'hyper_phi.layers.N.hyper_linear…' of an SRNsModel (found ${phiLayers} layers)`);
  const hyper = Array.from({ length: phiLayers }, (_, l) => fcBlock(src, `hyper_phi.layers.${l}.hyper_linear.slave_params`, used));
  const phiWidth = hyper[0].out.W.shape[0] / 4; // layer 0 predicts 3·F weights + F biases
  const hyperHidden = hyper[0].hidden[0].W.shape[0];
  const wih = take(src, 'ray_marcher.lstm.weight_ih', used, 2);
  const whh = take(src, 'ray_marcher.lstm.weight_hh', used, 2);
  const lstmHidden = whh.shape[1];
  const render = fcBlock(src, 'pixel_generator', used);
  const linear = source.linear && { W: take(source.linear, 'linear.weight', new Set(), 2), b: take(source.linear, 'linear.bias', new Set(), 1) };
  const model: Partial<ModelConfig> = {
    latentDim,
    phiWidth,
    phiLayers,
    hyperHidden,
    hyperHiddenLayers: hyper[0].hidden.length,
    lstmHidden,
    marchSteps: opts.marchSteps ?? 10,
    rendererHiddenLayers: render.hidden.length,
    rendererWidth: render.hidden[0].W.shape[0],
    rgbChannels: render.out.W.shape[0],
    ...(linear ? { numClasses: linear.W.shape[0] } : {}),
  };
  // Shapes that must agree with each other (a mixed or cut state dict).
  const expect = (what: string, got: number[], want: number[]) => {
    if (got.join(',') !== want.join(',')) throw new Error(`${src.file}: ${what} has shape [${got}], [${want}] expected for an SRN of latent ${latentDim}, width ${phiWidth}`);
  };
  hyper.forEach((h, l) => expect(`hyper_phi.layers.${l} output`, h.out.W.shape, [(l === 0 ? 3 : phiWidth) * phiWidth + phiWidth, hyperHidden]));
  expect('ray_marcher.lstm.weight_ih', wih.shape, [4 * lstmHidden, phiWidth]);
  if (linear) expect(`${source.linear!.file}: linear.weight`, [linear.W.shape[1]], [phiWidth]);
  const weights: Record<string, tf.Tensor> = {};
  const sources: AuthorsModel['sources'] = {};
  let srn: SrnModel | undefined;
  try {
    const unet = unetHeadWeights(src, used, weights, sources);
    if (linear && unet && unet.numClasses !== linear.W.shape[0]) {
      throw new Error(`${source.linear!.file}: the linear probe has ${linear.W.shape[0]} classes, ${src.file}'s U-Net head ${unet.numClasses}`);
    }
    if (unet) Object.assign(model, { numClasses: linear ? linear.W.shape[0] : unet.numClasses, unet: { ...DEFAULT_UNET, ...unet.cfg } });
    const config = presetConfig(opts.preset ?? 'paper', { ...(opts.config ?? {}), model: { ...(opts.config?.model ?? {}), ...model } } as DeepPartial<SrnConfig>);
    const heads: SegHeadKind[] = [...(linear ? ['linear' as const] : []), ...(unet ? ['unet' as const] : [])];
    srn = new SrnModel(config.model, { numInstances, heads });
    weights.latents = tf.tensor2d(Float32Array.from(latents.data), [numInstances, latentDim]);
    // `theirs`: the module whose `.weight` / `.bias` they are.
    const dense = (name: string, d: { W: TorchTensor; b: TorchTensor }, theirs: string) => {
      weights[`${name}.W`] = transposed(d.W);
      weights[`${name}.b`] = vector(d.b);
      sources[`${name}.W`] = { theirs: `${theirs}.weight`, layout: 'dense' };
      sources[`${name}.b`] = { theirs: `${theirs}.bias`, layout: 'vector' };
    };
    const norm = (name: string, d: { gamma: TorchTensor; beta: TorchTensor }, theirs: string) => {
      weights[`${name}.gamma`] = vector(d.gamma);
      weights[`${name}.beta`] = vector(d.beta);
      sources[`${name}.gamma`] = { theirs: `${theirs}.weight`, layout: 'vector' };
      sources[`${name}.beta`] = { theirs: `${theirs}.bias`, layout: 'vector' };
    };
    const fc = (ours: string, theirs: string, block: ReturnType<typeof fcBlock>, hiddenName: (k: number) => [string, string], out: string) => {
      block.hidden.forEach((blk, k) => {
        const [fcName, lnName] = hiddenName(k);
        dense(`${ours}.${fcName}`, blk, `${theirs}.net.${k}.net.0`);
        norm(`${ours}.${lnName}`, blk, `${theirs}.net.${k}.net.1`);
      });
      dense(`${ours}.${out}`, block.out, `${theirs}.net.${block.hidden.length}`);
    };
    hyper.forEach((h, l) => fc(`hypernet.${l}`, `hyper_phi.layers.${l}.hyper_linear.slave_params`, h, (k) => [`fc${k}`, `ln${k}`], 'out'));
    const lstm = (ours: string, theirs: string, t: TorchTensor, to: (t: TorchTensor) => tf.Tensor) => {
      weights[ours] = to(t);
      sources[ours] = { theirs, layout: t.shape.length === 2 ? 'dense' : 'vector' };
    };
    lstm('raymarcher.lstm.Wih', 'ray_marcher.lstm.weight_ih', wih, transposed);
    lstm('raymarcher.lstm.Whh', 'ray_marcher.lstm.weight_hh', whh, transposed);
    lstm('raymarcher.lstm.bih', 'ray_marcher.lstm.bias_ih', take(src, 'ray_marcher.lstm.bias_ih', used, 1), vector);
    lstm('raymarcher.lstm.bhh', 'ray_marcher.lstm.bias_hh', take(src, 'ray_marcher.lstm.bias_hh', used, 1), vector);
    dense('raymarcher.step', { W: take(src, 'ray_marcher.out_layer.weight', used, 2), b: take(src, 'ray_marcher.out_layer.bias', used, 1) }, 'ray_marcher.out_layer');
    fc('renderer', 'pixel_generator', render, (k) => [`fc${k}`, `ln${k}`], 'out');
    if (linear) dense('segHead.linear.fc', linear, 'linear');
    srn.loadWeights(weights);
    const unused = [...src.tensors.keys()].filter((k) => !used.has(k));
    return { config, model: srn, unused, sources };
  } catch (e) {
    srn?.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(weights));
  }
}

/** Writes the authors' weights as our checkpoint in `dir` (weights only, data 'external'); `eval --checkpoint` reads it. */
export function saveAuthorsCheckpoint(dir: string, source: AuthorsWeightsSource, opts: AuthorsModelOptions = {}): AuthorsModel & { dir: string } {
  const built = authorsModel(source, opts);
  try {
    saveCheckpoint(dir, {
      config: built.config,
      model: built.model,
      stage: source.linear ? 'probe' : 'pretrain',
      step: 0,
      dataVersion: 'external',
      weightsOnly: true,
      extra: { importedFrom: { srn: source.srn.file, ...(source.linear ? { linear: source.linear.file } : {}), unused: built.unused.length } },
    });
  } catch (e) {
    built.model.dispose();
    throw e;
  }
  return { ...built, dir };
}
