/**
 * The 2-D U-Net the Semantic SRN authors used for the Oracle RGB+U-Net, few-shot U-Net and SRN+U-Net
 * baselines (spec baselines.md §B3; pytorch_prototyping `Unet(in 4, out C, nf0 64, num_down 7, max 512,
 * use_dropout, dropout 0.2, transpose upsampling, BatchNorm, outermost_linear)`):
 *  - in layer: reflect-pad + 3×3 conv (no bias) · BN · LeakyReLU 0.2 · Dropout2d 0.1 (fixed in the code);
 *  - level i (outer → inner): [3×3 s1 conv, BN, LReLU, Dropout2d p] [4×4 s2 conv, BN, LReLU, Dropout2d p]
 *    → sub-level → [4×4 s2 transpose conv, BN, ReLU, Dropout2d p] [3×3 conv, BN, ReLU, Dropout2d 0.1];
 *    output concat[input, up]; the innermost level (1×1 at num_down = log2 S) has no norm and biased convs;
 *  - out layer: reflect-pad + 3×3 conv with bias, linear logits.
 * PyTorch default init (Uniform ±1/√fan_in; transpose conv fan_in = Cout·k²).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';
import {
  addBatchNorm,
  batchNorm,
  conv2dReflect,
  convTranspose2x,
  ParamSet,
  spatialDropout,
  uniformTensor,
  type BatchNormVars,
} from './layers';

export interface Unet2dArch {
  inChannels: number;
  outChannels: number;
  nf0: number;
  /** Stride-2 levels (7 at 128², 6 at 64², 5 at 32²: down to 1×1). */
  numDown: number;
  maxChannels: number;
  /** Dropout2d p of the down blocks and the first half of the up blocks (code 0.2; paper 0.1). */
  dropout: number;
  /** Dropout2d of the in layer and of the up blocks' second conv (0.1 in the code, applied when dropout > 0). */
  fixedDropout: number;
  /** Activation of the up path: 'relu' (code) or 'leakyRelu' (paper text). */
  upActivation: 'relu' | 'leakyRelu';
  bnMomentum: number;
  bnEps: number;
}

interface ConvP {
  w: tf.Variable;
  b?: tf.Variable;
}

interface Level {
  prep: ConvP;
  prepBn?: BatchNormVars;
  down: ConvP;
  downBn?: BatchNormVars;
  up: ConvP;
  upBn?: BatchNormVars;
  post: ConvP;
  postBn?: BatchNormVars;
}

export interface UnetForward {
  training: boolean;
  /** Base seed for the dropout masks of this call (vary it per step). */
  seed?: number;
}

const ch = (a: Unet2dArch, i: number) => Math.min(2 ** i * a.nf0, a.maxChannels);

/** Trainable parameters from the shapes alone. */
export function countUnet2dParameters(a: Unet2dArch): number {
  const bn = (c: number) => 2 * c;
  let n = 9 * a.inChannels * a.nf0 + bn(a.nf0);
  for (let i = 0; i < a.numDown; i++) {
    const innermost = i === a.numDown - 1;
    const o = ch(a, i);
    const inn = innermost ? o : ch(a, i + 1);
    const upIn = innermost ? inn : 2 * inn;
    if (innermost) n += 9 * o * o + o + 16 * o * inn + inn + 16 * upIn * o + o + 9 * o * o + o;
    else n += 9 * o * o + bn(o) + 16 * o * inn + bn(inn) + 16 * upIn * o + bn(o) + 9 * o * o + bn(o);
  }
  return n + 9 * 2 * a.nf0 * a.outChannels + a.outChannels;
}

export class Unet2d {
  readonly params = new ParamSet();
  private readonly inConv: ConvP;
  private readonly inBn: BatchNormVars;
  private readonly levels: Level[] = [];
  private readonly outConv: ConvP;

  constructor(readonly arch: Unet2dArch, seed: number | string) {
    if (arch.numDown < 1) throw new Error(`Unet2d: numDown must be ≥ 1, got ${arch.numDown}`);
    const rng = Rng.derive(seed, 'unet2d-init');
    const p = this.params;
    const conv = (name: string, k: number, cin: number, cout: number, bias: boolean, fanIn = cin * k * k): ConvP => {
      const bound = 1 / Math.sqrt(fanIn);
      const w = p.add(`${name}.W`, uniformTensor(rng, [k, k, cin, cout], bound));
      return bias ? { w, b: p.add(`${name}.b`, uniformTensor(rng, [cout], bound)) } : { w };
    };
    this.inConv = conv('in.conv', 3, arch.inChannels, arch.nf0, false);
    this.inBn = addBatchNorm(p, 'in.bn', arch.nf0);
    for (let i = 0; i < arch.numDown; i++) {
      const innermost = i === arch.numDown - 1;
      const o = ch(arch, i);
      // The reference's innermost level keeps its width (the same as ch(i + 1) wherever the cap binds, as in every preset).
      const inn = innermost ? o : ch(arch, i + 1);
      const norm = !innermost;
      const pre = `level${i}`;
      this.levels.push({
        prep: conv(`${pre}.prep`, 3, o, o, !norm),
        prepBn: norm ? addBatchNorm(p, `${pre}.prepBn`, o) : undefined,
        down: conv(`${pre}.down`, 4, o, inn, !norm),
        downBn: norm ? addBatchNorm(p, `${pre}.downBn`, inn) : undefined,
        up: conv(`${pre}.up`, 4, innermost ? inn : 2 * inn, o, !norm, o * 16),
        upBn: norm ? addBatchNorm(p, `${pre}.upBn`, o) : undefined,
        post: conv(`${pre}.post`, 3, o, o, !norm),
        postBn: norm ? addBatchNorm(p, `${pre}.postBn`, o) : undefined,
      });
    }
    this.outConv = conv('out.conv', 3, 2 * arch.nf0, arch.outChannels, true);
  }

  parameterCount(): number {
    return this.params.count();
  }

  /** x [B,S,S,inChannels] → logits [B,S,S,outChannels]; S divisible by 2^numDown (≥ 2 before the innermost reflect pad). */
  apply(x: tf.Tensor4D, opts: UnetForward): tf.Tensor4D {
    const a = this.arch;
    const [, h, w] = x.shape;
    const div = 2 ** a.numDown;
    if (h % div !== 0 || w % div !== 0) throw new Error(`Unet2d: image ${h}×${w} must be divisible by 2^numDown = ${div}`);
    let k = 0;
    const seed = opts.seed ?? 0;
    const drop = (t: tf.Tensor4D, p: number) => spatialDropout(t, a.dropout > 0 ? p : 0, opts.training, seed * 997 + k++);
    const bn = (t: tf.Tensor4D, n?: BatchNormVars) => (n ? batchNorm(t, n, opts.training, a.bnMomentum, a.bnEps) : t);
    const cv = (t: tf.Tensor4D, c: ConvP, stride: number) => {
      const y = conv2dReflect(t, c.w as tf.Tensor4D, stride);
      return c.b ? (tf.add(y, c.b) as tf.Tensor4D) : y;
    };
    const lrelu = (t: tf.Tensor4D) => tf.leakyRelu(t, 0.2) as tf.Tensor4D;
    const upAct = (t: tf.Tensor4D) => (a.upActivation === 'relu' ? (tf.relu(t) as tf.Tensor4D) : lrelu(t));
    const level = (i: number, t: tf.Tensor4D): tf.Tensor4D => {
      const L = this.levels[i];
      let d = drop(lrelu(bn(cv(t, L.prep, 1), L.prepBn)), a.dropout);
      d = drop(lrelu(bn(cv(d, L.down, 2), L.downBn)), a.dropout);
      const inner = i + 1 < this.levels.length ? level(i + 1, d) : d;
      let u = convTranspose2x(inner, L.up.w as tf.Tensor4D);
      if (L.up.b) u = tf.add(u, L.up.b) as tf.Tensor4D;
      u = drop(upAct(bn(u, L.upBn)), a.dropout);
      u = drop(upAct(bn(cv(u, L.post, 1), L.postBn)), a.fixedDropout);
      return tf.concat([t, u], 3) as tf.Tensor4D;
    };
    const first = drop(lrelu(bn(cv(x, this.inConv, 1), this.inBn)), a.fixedDropout);
    return cv(level(0, first), this.outConv, 1);
  }

  dispose(): void {
    this.params.dispose();
  }
}
