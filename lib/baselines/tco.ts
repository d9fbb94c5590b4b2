/**
 * TCO (Tatarchenko, Dosovitskiy, Brox, ECCV'16) as in lmb-freiburg/mv3d (spec baselines.md §B1): an
 * image encoder (pairs of stride-2 / stride-1 'same' convs down to 4×4×256), an FC on the flattened code,
 * a 3-layer MLP on the target viewpoint, 3 joint FCs back to 4×4×256, and a decoder of (transpose conv,
 * conv) pairs ending in a transpose conv + tanh. LeakyReLU(0.2) after every other layer. Convs and FCs
 * have a bias (init 0), transpose convs none; He init (conv truncated-normal).
 * Other sides than 128: the outermost encoder pairs and innermost decoder pairs are dropped so the
 * bottleneck stays 4×4×256 (§B1 adaptation 4: 64² drops e0/e0_0 and d4/d4_0; 32² also e1/e1_0, d3/d3_0).
 */
import * as tf from '@tensorflow/tfjs';
import type { Mat4 } from '../geometry/cameras';
import { Rng } from '../util/random';
import { conv2dSame, convTranspose2x, normalTensor, ParamSet, truncatedNormalTensor } from './layers';

export interface TcoArch {
  /** Image side (a power of two ≥ 16). */
  side: number;
  /** 3 = RGB (mv3d), 4 = RGBA. */
  inChannels: number;
  /** 3 = RGB, 4 = RGB + depth. */
  outChannels: number;
  /** Width of fc1 and the joint FCs a3, a4 (mv3d 4096); a5 always outputs 4·4·256. */
  fcWidth: number;
  /** Width of the pose MLP a0–a2 (64). */
  poseWidth: number;
  /** Length of the viewpoint vector (5 for mv3d's [r/ρ, sin el, cos el, sin az, cos az]; 16 for a flat cam2world). */
  poseDim: number;
}

/** Encoder pairs at 128², outermost first: (channels, kernel). */
const ENCODER = [
  { c: 32, k: 5 },
  { c: 32, k: 5 },
  { c: 64, k: 5 },
  { c: 128, k: 3 },
  { c: 256, k: 3 },
];
/** Decoder pairs at 128², innermost first: transpose conv (tc, tk) then conv (c, k). */
const DECODER = [
  { name: 'd4', tc: 128, tk: 3, c: 128, k: 3 },
  { name: 'd3', tc: 64, tk: 3, c: 64, k: 5 },
  { name: 'd2', tc: 32, tk: 5, c: 64, k: 5 },
  { name: 'd1', tc: 32, tk: 5, c: 32, k: 5 },
];
const BOTTLENECK = 4;
const BOTTLENECK_C = 256;
/** Channels of the d1_0 features ("before the last transpose conv"). */
export const TCO_FEATURE_CHANNELS = 32;

function levelsFor(side: number): number {
  const n = Math.log2(side / BOTTLENECK);
  if (!Number.isInteger(n) || n < 2 || n > ENCODER.length) {
    throw new Error(`TCO: image side must be one of 16, 32, 64, 128 (bottleneck 4×4 after 2..5 stride-2 levels), got ${side}`);
  }
  return n;
}

interface LayerShape {
  name: string;
  kind: 'conv' | 'convT' | 'fc';
  shape: number[];
  bias: boolean;
  stride?: number;
}

/** Every layer of the net with its weight shape, in forward order (used for building and counting). */
export function tcoLayers(a: TcoArch): LayerShape[] {
  const n = levelsFor(a.side);
  const enc = ENCODER.slice(ENCODER.length - n);
  const dec = DECODER.slice(DECODER.length - (n - 1));
  const out: LayerShape[] = [];
  let cin = a.inChannels;
  enc.forEach((e, i) => {
    const id = ENCODER.length - n + i;
    out.push({ name: `e${id}`, kind: 'conv', shape: [e.k, e.k, cin, e.c], bias: true, stride: 2 });
    out.push({ name: `e${id}_0`, kind: 'conv', shape: [e.k, e.k, e.c, e.c], bias: true, stride: 1 });
    cin = e.c;
  });
  const flat = BOTTLENECK * BOTTLENECK * BOTTLENECK_C;
  out.push({ name: 'fc1', kind: 'fc', shape: [flat, a.fcWidth], bias: true });
  out.push({ name: 'a0', kind: 'fc', shape: [a.poseDim, a.poseWidth], bias: true });
  out.push({ name: 'a1', kind: 'fc', shape: [a.poseWidth, a.poseWidth], bias: true });
  out.push({ name: 'a2', kind: 'fc', shape: [a.poseWidth, a.poseWidth], bias: true });
  out.push({ name: 'a3', kind: 'fc', shape: [a.fcWidth + a.poseWidth, a.fcWidth], bias: true });
  out.push({ name: 'a4', kind: 'fc', shape: [a.fcWidth, a.fcWidth], bias: true });
  out.push({ name: 'a5', kind: 'fc', shape: [a.fcWidth, flat], bias: true });
  cin = BOTTLENECK_C;
  for (const d of dec) {
    out.push({ name: d.name, kind: 'convT', shape: [d.tk, d.tk, cin, d.tc], bias: false });
    out.push({ name: `${d.name}_0`, kind: 'conv', shape: [d.k, d.k, d.tc, d.c], bias: true, stride: 1 });
    cin = d.c;
  }
  out.push({ name: 'd0', kind: 'convT', shape: [5, 5, cin, a.outChannels], bias: false });
  return out;
}

/** Trainable parameters from the shapes alone (no allocation). mv3d at 128², RGB+D: 69.6M. */
export function countTcoParameters(a: TcoArch): number {
  return tcoLayers(a).reduce((s, l) => s + l.shape.reduce((x, y) => x * y, 1) + (l.bias ? l.shape[l.shape.length - 1] : 0), 0);
}

export interface TcoOutput {
  /** [B,S,S,outChannels], tanh. */
  image: tf.Tensor4D;
  /** d1_0 output [B,S/2,S/2,32] (after LeakyReLU): the probe's features. */
  features: tf.Tensor4D;
}

export class TcoNet {
  readonly params = new ParamSet();
  readonly layers: LayerShape[];

  constructor(readonly arch: TcoArch, seed: number | string) {
    this.layers = tcoLayers(arch);
    const rng = Rng.derive(seed, 'tco-init');
    for (const l of this.layers) {
      const [k0, k1, cin] = l.shape;
      let w: tf.Tensor;
      if (l.kind === 'conv') w = truncatedNormalTensor(rng, l.shape, Math.sqrt(2 / (k0 * k1 * cin)));
      else if (l.kind === 'fc') w = normalTensor(rng, l.shape, Math.sqrt(2 / l.shape[0]));
      // mv3d's transpose-conv He init: std √(2·s²/(k²·Cin)) with s = 2.
      else w = normalTensor(rng, l.shape, Math.sqrt((2 * 4) / (k0 * k1 * cin)));
      this.params.add(`${l.name}.W`, w);
      if (l.bias) this.params.add(`${l.name}.b`, tf.zeros([l.shape[l.shape.length - 1]]));
    }
  }

  private w(name: string): tf.Tensor {
    return this.params.trainable.get(`${name}.W`)!;
  }

  private b(name: string): tf.Tensor {
    return this.params.trainable.get(`${name}.b`)!;
  }

  /** Encoder + fc1: [B,S,S,Cin] → [B, fcWidth]. */
  encode(x: tf.Tensor4D): tf.Tensor2D {
    let h = x;
    const lrelu = (t: tf.Tensor) => tf.leakyRelu(t, 0.2);
    for (const l of this.layers) {
      if (l.kind !== 'conv' || !l.name.startsWith('e')) continue;
      h = lrelu(tf.add(conv2dSame(h, this.w(l.name) as tf.Tensor4D, l.stride!), this.b(l.name))) as tf.Tensor4D;
    }
    const flat = h.reshape([h.shape[0], -1]) as tf.Tensor2D;
    return lrelu(tf.add(tf.matMul(flat, this.w('fc1') as tf.Tensor2D), this.b('fc1'))) as tf.Tensor2D;
  }

  /** Full forward: image [B,S,S,Cin] (scaled to ±0.75) and target viewpoint [B,poseDim]. */
  apply(x: tf.Tensor4D, pose: tf.Tensor2D): TcoOutput {
    const lrelu = (t: tf.Tensor) => tf.leakyRelu(t, 0.2);
    const fc = (t: tf.Tensor2D, n: string) => lrelu(tf.add(tf.matMul(t, this.w(n) as tf.Tensor2D), this.b(n))) as tf.Tensor2D;
    const code = this.encode(x);
    const p = fc(fc(fc(pose, 'a0'), 'a1'), 'a2');
    let j = fc(tf.concat([code, p], 1) as tf.Tensor2D, 'a3');
    j = fc(fc(j, 'a4'), 'a5');
    let h = j.reshape([j.shape[0], BOTTLENECK, BOTTLENECK, BOTTLENECK_C]) as tf.Tensor4D;
    let features: tf.Tensor4D | undefined;
    for (const l of this.layers) {
      if (!l.name.startsWith('d') || l.name === 'd0') continue;
      if (l.kind === 'convT') h = lrelu(convTranspose2x(h, this.w(l.name) as tf.Tensor4D)) as tf.Tensor4D;
      else h = lrelu(tf.add(conv2dSame(h, this.w(l.name) as tf.Tensor4D, 1), this.b(l.name))) as tf.Tensor4D;
      if (l.name === 'd1_0') features = h;
    }
    const image = tf.tanh(convTranspose2x(h, this.w('d0') as tf.Tensor4D)) as tf.Tensor4D;
    return { image, features: features! };
  }

  parameterCount(): number {
    return this.params.count();
  }

  dispose(): void {
    this.params.dispose();
  }
}

export type PoseEncoding = 'mv3d' | 'cam2world';
export type UpAxis = 'x' | 'y' | 'z';

export function poseDim(enc: PoseEncoding): number {
  return enc === 'mv3d' ? 5 : 16;
}

/**
 * The target viewpoint as the network sees it. 'mv3d': [r/ρ, sin el, cos el, sin az, cos az] of the
 * camera centre (absolute, object frame; el from the up axis, az on the ground plane, §B1 adaptation 2).
 * 'cam2world': the 16 numbers of the matrix, row-major (the Semantic SRN authors' TCO, reference §8).
 */
export function poseVector(m: Mat4, enc: PoseEncoding, rho: number, up: UpAxis = 'z'): number[] {
  if (enc === 'cam2world') return Array.from(m);
  const c = [m[3], m[7], m[11]];
  const r = Math.hypot(c[0], c[1], c[2]);
  const ui = up === 'x' ? 0 : up === 'y' ? 1 : 2;
  const [gi, gj] = [0, 1, 2].filter((i) => i !== ui);
  const el = r > 0 ? Math.asin(Math.max(-1, Math.min(1, c[ui] / r))) : 0;
  const az = Math.atan2(c[gj], c[gi]);
  return [r / rho, Math.sin(el), Math.cos(el), Math.sin(az), Math.cos(az)];
}

/** Our RGBA in [−1,1] (S·S·4) → the network input: channels scaled to ±0.75 (§B1 adaptation 3). */
export function tcoImage(rgba: Float32Array, channels: number): Float32Array {
  const n = rgba.length / 4;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = 0.75 * rgba[i * 4 + c];
  return out;
}

/** Camera z-depth (0 = background) → [−0.75, 0.75] like mv3d's `(d16/65535 − 0.5)·1.5`, with `depthMax` ↦ 65535. */
export function tcoDepth(depth: Float32Array, depthMax: number): Float32Array {
  const out = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) out[i] = (Math.min(depth[i], depthMax) / depthMax - 0.5) * 1.5;
  return out;
}
