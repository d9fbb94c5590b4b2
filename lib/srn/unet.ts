/**
 * The feature U-Net class generator of the fully supervised SRN (spec/reference.md §1.6c, [P] `Unet`):
 * reflection-padded 3×3 convs, stride-2 4×4 downsampling convs, 4×4 stride-2 transposed convs, BatchNorm
 * (PyTorch momentum 0.1, eps 1e-5), LeakyReLU 0.2 on the way down, ReLU on the way up, innermost block
 * without norm, output conv with bias. NHWC throughout.
 *
 * The wasm backend has no Conv2DBackpropFilter kernel: there, convolutions carry their own gradient (one matMul
 * per kernel tap) and a transposed conv runs as a direct conv over the zero-inserted input. Backends with the
 * kernel (node, cpu, webgl) use tf.conv2d / tf.conv2dTranspose and their own gradients: at 64² the baseline
 * U-Net's step took 2.4× PyTorch's with the wasm path on node (bench/unet_step.ts).
 * A transposed conv is stored as the equivalent direct conv over the zero-inserted input
 * ([kh, kw, in, out]), i.e. PyTorch's ConvTranspose weight flipped spatially with in/out swapped.
 */
import * as tf from '@tensorflow/tfjs';
import type { UnetConfig } from '../config/types';
import { Rng } from '../util/random';
import { ParamStore, uniformInit } from './params';
import { nativeBackend, nativeBatchNormTrain } from '../backend/native_ops';
import { reflectPad } from './reflect_pad';

const filterGradBackends = new Map<string, boolean>();

/** Whether the active backend has the Conv2DBackpropFilter kernel (all but wasm), i.e. trains tf.conv2d itself. */
export function hasConvFilterGrad(): boolean {
  const name = tf.getBackend();
  if (!filterGradBackends.has(name)) filterGradBackends.set(name, tf.getKernel('Conv2DBackpropFilter', name) !== undefined);
  return filterGradBackends.get(name)!;
}

/** 'valid' 2-D convolution x [B,H,W,Cin] * w [kh,kw,Cin,Cout] with a stride, trainable on every backend. */
export function conv2dValid(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  return hasConvFilterGrad() ? tf.conv2d(x, w, stride, 'valid') : conv2dTapGrad(x, w, stride);
}

/** conv2dValid with the filter gradient as one matMul per kernel tap (backends without Conv2DBackpropFilter). */
export function conv2dTapGrad(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi] = args as tf.Tensor[];
    (args[2] as tf.GradSaveFunc)([xi, wi]);
    return {
      value: tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, stride, 'valid'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          const [b, , , cin] = sx.shape;
          const [kh, kw, , cout] = sw.shape;
          const [, ho, wo] = dy.shape;
          const dx = tf.conv2dTranspose(dy as tf.Tensor4D, sw, sx.shape, stride, 'valid');
          const dy2 = dy.reshape([b * ho * wo, cout]) as tf.Tensor2D;
          const taps: tf.Tensor[] = [];
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const xs = tf.stridedSlice(sx, [0, ky, kx, 0], [b, ky + (ho - 1) * stride + 1, kx + (wo - 1) * stride + 1, cin], [1, stride, stride, 1]);
              taps.push(tf.matMul(xs.reshape([b * ho * wo, cin]) as tf.Tensor2D, dy2, true, false));
            }
          }
          return [dx, tf.stack(taps).reshape([kh, kw, cin, cout])] as tf.Tensor[];
        }),
    };
  });
  return (f as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(x, w) as tf.Tensor4D;
}

/** Inserts a zero after every pixel along H and W: [B,H,W,C] → [B,2H,2W,C] with x at even positions. */
export function zeroInsert(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const a = tf.pad(x.reshape([b, h, w, 1, c]), [[0, 0], [0, 0], [0, 0], [0, 1], [0, 0]]).reshape([b, h, 1, 2 * w, c]);
  return tf.pad(a, [[0, 0], [0, 0], [0, 1], [0, 0], [0, 0]]).reshape([b, 2 * h, 2 * w, c]) as tf.Tensor4D;
}

/**
 * Stride-2 transpose conv with exact 2× output: TF `conv2d_transpose(..., 'same')`, PyTorch's ConvTranspose2d(k4, s2,
 * p1) and (k5, s2, p2, output_padding 1): x [B,H,W,Cin] → [B,2H,2W,Cout]. `w` [k,k,Cin,Cout] is the direct-conv
 * kernel (the transpose kernel flipped spatially, in/out swapped). tf.conv2dTranspose where the backend trains it,
 * else (wasm) the direct conv of the zero-inserted input (`upConv2xZeroInsert`).
 */
export function upConv2x(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  if (!hasConvFilterGrad()) return upConv2xZeroInsert(x, w);
  const [b, h, wd] = x.shape;
  const wt = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2dTranspose(x, wt, [b, 2 * h, 2 * wd, w.shape[3]], 2, 'same');
}

/** upConv2x as a direct conv of the zero-inserted input: padding before = k − 1 − ⌊(k−2)/2⌋, the rest after (one of it is the trailing zero). */
export function upConv2xZeroInsert(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const k = w.shape[0];
  const before = k - 1 - Math.floor((k - 2) / 2);
  const after = k - before - 1;
  const zi = tf.pad(zeroInsert(x), [[0, 0], [before, after], [before, after], [0, 0]]) as tf.Tensor4D;
  return conv2dTapGrad(zi, w, 1);
}

/** PyTorch ConvTranspose2d(k=4, stride=2, padding=1): x [B,H,W,Cin] → [B,2H,2W,Cout]; `w` [4,4,Cin,Cout] is the flipped transpose kernel. */
export function upConv4x4s2(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return upConv2x(x, w);
}

interface Conv {
  w: tf.Variable;
  b?: tf.Variable;
}

export interface BatchNormVars {
  gamma: tf.Variable;
  beta: tf.Variable;
  /** Running statistics: variables outside every optimiser (updated in train mode only). */
  mean: tf.Variable;
  variance: tf.Variable;
}

/**
 * BatchNorm2d with PyTorch semantics, for this U-Net and the baselines' (lib/baselines/layers.ts): train mode
 * normalises by the batch statistics (biased variance) and moves the running stats by `momentum` (unbiased variance,
 * outside the gradient); eval mode uses the running stats. On the native backend train mode is one fused TF op.
 */
export function batchNorm2d(x: tf.Tensor4D, n: BatchNormVars, training: boolean, momentum: number, eps: number): tf.Tensor4D {
  if (!training) return tf.batchNorm(x, n.mean, n.variance, n.beta, n.gamma, eps) as tf.Tensor4D;
  const be = nativeBackend();
  if (be) return nativeBatchNormTrain(be, x, n.gamma, n.beta, n.mean, n.variance, momentum, eps);
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const count = x.size / x.shape[3];
  tf.tidy(() => {
    n.mean.assign(tf.add(tf.mul(n.mean, 1 - momentum), tf.mul(mean, momentum)));
    n.variance.assign(tf.add(tf.mul(n.variance, 1 - momentum), tf.mul(variance, (momentum * count) / Math.max(count - 1, 1))));
  });
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), n.gamma), n.beta) as tf.Tensor4D;
}

interface Block {
  prep: Conv;
  prepNorm?: BatchNormVars;
  down: Conv;
  downNorm?: BatchNormVars;
  up: Conv;
  upNorm?: BatchNormVars;
  post: Conv;
  postNorm?: BatchNormVars;
}

export interface UnetForwardOptions {
  /** Train mode: batch statistics and running-stat updates (and dropout). */
  training: boolean;
  /** Seed for dropout in train mode. */
  seed?: number;
}

export class FeatureUnet {
  readonly blocks: Block[] = [];
  private readonly inConv: Conv;
  private readonly inNorm: BatchNormVars;
  private readonly outConv: Conv;
  /** Running-stat variables (not trained; included in checkpoints). */
  readonly stats: tf.Variable[] = [];

  constructor(
    store: ParamStore,
    readonly prefix: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly cfg: UnetConfig,
    rng: Rng,
  ) {
    const ch = (i: number) => Math.min(2 ** i * cfg.nf0, cfg.maxChannels);
    this.inConv = this.conv(store, `${prefix}.in.conv`, rng, 3, inChannels, cfg.nf0, false);
    this.inNorm = this.norm(store, `${prefix}.in.bn`, cfg.nf0);
    for (let i = 0; i < cfg.numDown; i++) {
      const innermost = i === cfg.numDown - 1;
      const outer = ch(i);
      // The reference's innermost block keeps its width (outer = inner = min(2^(numDown−1)·nf0, max)); the same as
      // ch(i + 1) wherever the cap binds, as in every preset.
      const inner = innermost ? outer : ch(i + 1);
      const upIn = innermost ? inner : 2 * inner;
      const p = `${prefix}.block${i}`;
      const withNorm = !innermost;
      this.blocks.push({
        prep: this.conv(store, `${p}.prep`, rng, 3, outer, outer, !withNorm),
        prepNorm: withNorm ? this.norm(store, `${p}.prepBn`, outer) : undefined,
        down: this.conv(store, `${p}.down`, rng, 4, outer, inner, !withNorm),
        downNorm: withNorm ? this.norm(store, `${p}.downBn`, inner) : undefined,
        // PyTorch's ConvTranspose fan_in is weight.size(1)·k² = out_channels·16.
        up: this.conv(store, `${p}.up`, rng, 4, upIn, outer, !withNorm, outer * 16),
        upNorm: withNorm ? this.norm(store, `${p}.upBn`, outer) : undefined,
        post: this.conv(store, `${p}.post`, rng, 3, outer, outer, !withNorm),
        postNorm: withNorm ? this.norm(store, `${p}.postBn`, outer) : undefined,
      });
    }
    this.outConv = this.conv(store, `${prefix}.out.conv`, rng, 3, 2 * cfg.nf0, outChannels, true);
  }

  /** PyTorch default conv init: weight and bias Uniform(±1/sqrt(fan_in)). */
  private conv(store: ParamStore, name: string, rng: Rng, k: number, cin: number, cout: number, bias: boolean, fanIn = cin * k * k): Conv {
    const bound = 1 / Math.sqrt(fanIn);
    const w = store.add('segHead', `${name}.W`, uniformInit(rng, [k, k, cin, cout], bound));
    return bias ? { w, b: store.add('segHead', `${name}.b`, uniformInit(rng, [cout], bound)) } : { w };
  }

  private norm(store: ParamStore, name: string, c: number): BatchNormVars {
    const bn: BatchNormVars = {
      gamma: store.add('segHead', `${name}.gamma`, tf.ones([c])),
      beta: store.add('segHead', `${name}.beta`, tf.zeros([c])),
      mean: tf.tidy(() => tf.variable(tf.zeros([c]), false)),
      variance: tf.tidy(() => tf.variable(tf.ones([c]), false)),
    };
    this.stats.push(bn.mean, bn.variance);
    return bn;
  }

  /** Named running statistics (for checkpoints). */
  namedStats(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    let k = 0;
    for (const v of this.stats) out[`${this.prefix}.bnStat${k++}`] = v;
    return out;
  }

  private applyConv(x: tf.Tensor4D, c: Conv, stride: number): tf.Tensor4D {
    const y = conv2dValid(x, c.w as tf.Tensor4D, stride);
    return c.b ? (tf.add(y, c.b) as tf.Tensor4D) : y;
  }

  /** Reflection-padded 'same' 3×3 conv. */
  private same3(x: tf.Tensor4D, c: Conv): tf.Tensor4D {
    return this.applyConv(reflectPad(x, 1, 1, 1, 1), c, 1);
  }

  private bn(x: tf.Tensor4D, n: BatchNormVars | undefined, opts: UnetForwardOptions): tf.Tensor4D {
    return n ? batchNorm2d(x, n, opts.training, this.cfg.bnMomentum, this.cfg.bnEps) : x;
  }

  private dropout(x: tf.Tensor4D, opts: UnetForwardOptions): tf.Tensor4D {
    if (!opts.training || this.cfg.dropout === 0) return x;
    const [b, , , c] = x.shape;
    return tf.dropout(x, this.cfg.dropout, [b, 1, 1, c], opts.seed) as tf.Tensor4D;
  }

  private runBlock(i: number, x: tf.Tensor4D, opts: UnetForwardOptions): tf.Tensor4D {
    const blk = this.blocks[i];
    const lrelu = (t: tf.Tensor4D) => tf.leakyRelu(t, 0.2) as tf.Tensor4D;
    let d = this.dropout(lrelu(this.bn(this.same3(x, blk.prep), blk.prepNorm, opts)), opts);
    d = this.dropout(lrelu(this.bn(this.applyConv(reflectPad(d, 1, 1, 1, 1), blk.down, 2), blk.downNorm, opts)), opts);
    const inner = i + 1 < this.blocks.length ? this.runBlock(i + 1, d, opts) : d;
    // ConvTranspose 4×4, stride 2, padding 1 = conv over the zero-inserted input padded (2, 1).
    const upc = upConv4x4s2(inner, blk.up.w as tf.Tensor4D);
    const up = blk.up.b ? (tf.add(upc, blk.up.b) as tf.Tensor4D) : upc;
    let u = this.dropout(tf.relu(this.bn(up, blk.upNorm, opts)) as tf.Tensor4D, opts);
    u = this.dropout(tf.relu(this.bn(this.same3(u, blk.post), blk.postNorm, opts)) as tf.Tensor4D, opts);
    return tf.concat([x, u], 3) as tf.Tensor4D;
  }

  /** x [B,S,S,F] → logits [B,S,S,C]. S must be divisible by 2^numDown. */
  apply(x: tf.Tensor4D, opts: UnetForwardOptions): tf.Tensor4D {
    const [, h, w] = x.shape;
    const div = 2 ** this.cfg.numDown;
    if (h % div !== 0 || w % div !== 0) {
      throw new Error(`FeatureUnet: image side ${h}×${w} must be divisible by 2^numDown = ${div}`);
    }
    const a = tf.leakyRelu(this.bn(this.same3(x, this.inConv), this.inNorm, opts), 0.2) as tf.Tensor4D;
    const u = this.runBlock(0, this.dropout(a, opts), opts);
    return this.same3(u, this.outConv);
  }
}
