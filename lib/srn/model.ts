/**
 * The semantic SRN (spec/reference.md §1): latent table → four hyper-MLPs → per-instance phi →
 * LSTM ray marcher → features → RGBA pixel generator, plus segmentation heads over the features.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { denseLayerNormRelu } from '../backend/fused_dense';
import type { ModelConfig, SegHeadKind } from '../config/types';
import { cameraDepth, liftPixels, rayDirections } from '../geometry/rays';
import { LatentTable } from '../latent/table';
import { Rng } from '../util/random';
import { createHead, type SegHead } from './heads';
import { clampGradient, dense, denseLnRelu, lstmCell, type LstmParams } from './ops';
import {
  addDefaultDense, addKaimingDense, addLayerNorm, type DenseParams, type LayerNormParams, PARAM_GROUPS, type ParamGroup, ParamStore, uniformInit,
} from './params';

interface HyperMlp {
  hidden: { fc: DenseParams; ln: LayerNormParams }[];
  out: DenseParams;
  inDim: number;
  outDim: number;
}

/** Per-instance weights of one phi layer: W [B, in, out] (x·W layout) and b [B, 1, out]. */
export interface PhiLayerWeights {
  W: tf.Tensor3D;
  b: tf.Tensor3D;
}

export interface RayInputs {
  /** Pixel coordinates (u, v): [R, 2] shared by all images, or [B, R, 2]. */
  uv: tf.Tensor2D | tf.Tensor3D;
  /** [B, 4] (fx, fy, cx, cy). */
  intrinsics: tf.Tensor2D;
  /** [B, 4, 4] cam2world. */
  cam2world: tf.Tensor3D;
}

export interface SrnOutput {
  /** [B, R, rgbChannels], linear output (targets in [−1, 1]). */
  rgba: tf.Tensor3D;
  /** Camera z-depth of the final march point, [B, R]. */
  depth: tf.Tensor2D;
  /** Final world points, [B, R, 3]. */
  points: tf.Tensor3D;
  /** phi at the final points, v ≥ 0, [B, R, F]. */
  features: tf.Tensor3D;
}

export interface SrnModelOptions {
  /** Rows of the latent table (instances of the split being fit). */
  numInstances: number;
  seed?: number;
  /** Heads to build now (more can be added with `addHead`). Default: none. */
  heads?: SegHeadKind[];
}

export class SrnModel {
  readonly params = new ParamStore();
  readonly latents: LatentTable;
  readonly hyper: HyperMlp[] = [];
  readonly lstm: LstmParams;
  readonly stepLayer: DenseParams;
  readonly renderHidden: { fc: DenseParams; ln: LayerNormParams }[] = [];
  readonly renderOut: DenseParams;
  readonly heads = new Map<SegHeadKind, SegHead>();
  readonly seed: number;

  constructor(readonly cfg: ModelConfig, opts: SrnModelOptions) {
    this.seed = opts.seed ?? 0;
    const seed = this.seed;
    this.latents = new LatentTable(opts.numInstances, cfg.latentDim, { rng: Rng.derive(seed, 'latents'), std: 0.01 });
    const F = cfg.phiWidth;
    // One FCBlock hyper-MLP per phi layer (pitfall 7).
    for (let l = 0; l < cfg.phiLayers; l++) {
      const rng = Rng.derive(seed, 'hypernet', l);
      const inDim = l === 0 ? 3 : F;
      const hidden: HyperMlp['hidden'] = [];
      let d = cfg.latentDim;
      for (let k = 0; k < cfg.hyperHiddenLayers; k++) {
        hidden.push({
          fc: addKaimingDense(this.params, 'hypernet', `hypernet.${l}.fc${k}`, rng, d, cfg.hyperHidden),
          ln: addLayerNorm(this.params, 'hypernet', `hypernet.${l}.ln${k}`, cfg.hyperHidden),
        });
        d = cfg.hyperHidden;
      }
      const out = addKaimingDense(this.params, 'hypernet', `hypernet.${l}.out`, rng, d, inDim * F + F, cfg.hyperLastWeightScale);
      this.hyper.push({ hidden, out, inDim, outDim: F });
    }
    // LSTMCell(F → H): PyTorch default Uniform(±1/sqrt(H)) everywhere, forget slices of both biases = 1.
    {
      const rng = Rng.derive(seed, 'raymarcher');
      const H = cfg.lstmHidden;
      const bound = 1 / Math.sqrt(H);
      const forgetOne = (t: tf.Tensor) => {
        const a = t.dataSync().slice();
        a.fill(1, H, 2 * H);
        t.dispose();
        return tf.tensor1d(a);
      };
      this.lstm = {
        Wih: this.params.add('raymarcher', 'raymarcher.lstm.Wih', uniformInit(rng, [F, 4 * H], bound)),
        Whh: this.params.add('raymarcher', 'raymarcher.lstm.Whh', uniformInit(rng, [H, 4 * H], bound)),
        bih: this.params.add('raymarcher', 'raymarcher.lstm.bih', forgetOne(uniformInit(rng, [4 * H], bound))),
        bhh: this.params.add('raymarcher', 'raymarcher.lstm.bhh', forgetOne(uniformInit(rng, [4 * H], bound))),
      };
      this.stepLayer = addDefaultDense(this.params, 'raymarcher', 'raymarcher.step', rng, H, 1);
    }
    // Pixel generator: n × [Linear → LN(affine) → ReLU] then Linear(→4), Kaiming init, linear output.
    {
      const rng = Rng.derive(seed, 'renderer');
      let d = F;
      for (let k = 0; k < cfg.rendererHiddenLayers; k++) {
        this.renderHidden.push({
          fc: addKaimingDense(this.params, 'renderer', `renderer.fc${k}`, rng, d, cfg.rendererWidth),
          ln: addLayerNorm(this.params, 'renderer', `renderer.ln${k}`, cfg.rendererWidth),
        });
        d = cfg.rendererWidth;
      }
      this.renderOut = addKaimingDense(this.params, 'renderer', 'renderer.out', rng, d, cfg.rgbChannels);
    }
    for (const kind of opts.heads ?? []) this.addHead(kind);
  }

  /** Builds (or rebuilds, freshly initialised) a segmentation head. */
  addHead(kind: SegHeadKind, numClasses = this.cfg.numClasses, seedLabel: string | number = 0): SegHead {
    this.removeHead(kind);
    const head = createHead(this.params, kind, this.cfg, Rng.derive(this.seed, 'segHead', kind, seedLabel), numClasses);
    this.heads.set(kind, head);
    return head;
  }

  removeHead(kind: SegHeadKind): void {
    if (!this.heads.has(kind)) return;
    this.params.removePrefix(`segHead.${kind}.`);
    for (const v of Object.values(this.heads.get(kind)!.namedState())) v.dispose();
    this.heads.delete(kind);
  }

  head(kind: SegHeadKind): SegHead {
    const h = this.heads.get(kind);
    if (!h) throw new Error(`SrnModel: no '${kind}' segmentation head (add it with addHead('${kind}'))`);
    return h;
  }

  /** z [B, D] → the generated weights of every phi layer. Row-major W[out][in] then b (pitfall 7). */
  phiWeights(z: tf.Tensor2D): PhiLayerWeights[] {
    const eps = this.cfg.lnEps;
    const b = z.shape[0];
    return this.hyper.map((h) => {
      let x: tf.Tensor = z;
      for (const blk of h.hidden) x = denseLnRelu(x, blk.fc, blk.ln, eps);
      const p = dense(x, h.out); // [B, in·out + out]
      const nW = h.inDim * h.outDim;
      const Wpt = p.slice([0, 0], [b, nW]).reshape([b, h.outDim, h.inDim]);
      return {
        W: tf.transpose(Wpt, [0, 2, 1]) as tf.Tensor3D,
        b: p.slice([0, nW], [b, h.outDim]).reshape([b, 1, h.outDim]) as tf.Tensor3D,
      };
    });
  }

  /** phi(x): x [B, R, 3] → v [B, R, F]; every layer Linear → LN (no affine) → ReLU, the last one too (pitfall 5). */
  phi(weights: PhiLayerWeights[], x: tf.Tensor3D): tf.Tensor3D {
    let y: tf.Tensor = x;
    for (const w of weights) y = denseLayerNormRelu(y, w.W, w.b, { eps: this.cfg.lnEps, relu: true });
    return y as tf.Tensor3D;
  }

  /**
   * The LSTM ray marcher (§1.4): start at camera z-depth `initialDepth` on every pixel ray, then
   * `marchSteps` times: v = phi(x); (h, c) = LSTM(v, (h, c)); h gets the backward clamp; s = Linear(h);
   * x += s·unit direction. Returns the final points and their camera z-depth.
   */
  raymarch(weights: PhiLayerWeights[], rays: RayInputs): { points: tf.Tensor3D; depth: tf.Tensor2D } {
    const b = rays.cam2world.shape[0];
    const dirs = rayDirections(rays.uv, rays.intrinsics, rays.cam2world);
    let x = liftPixels(rays.uv, this.cfg.initialDepth, rays.intrinsics, rays.cam2world);
    const r = x.shape[1];
    const H = this.cfg.lstmHidden;
    let h = tf.zeros([b * r, H]) as tf.Tensor2D;
    let c = tf.zeros([b * r, H]) as tf.Tensor2D;
    for (let i = 0; i < this.cfg.marchSteps; i++) {
      const v = this.phi(weights, x).reshape([b * r, this.cfg.phiWidth]) as tf.Tensor2D;
      [h, c] = lstmCell(v, h, c, this.lstm);
      h = clampGradient(h, this.cfg.gradClamp) as tf.Tensor2D;
      const s = dense(h, this.stepLayer).reshape([b, r, 1]);
      x = tf.add(x, tf.mul(s, dirs)) as tf.Tensor3D;
    }
    return { points: x, depth: cameraDepth(x, rays.cam2world) };
  }

  /** Pixel generator: features [B, R, F] → RGBA [B, R, 4] (linear output). */
  renderRgb(features: tf.Tensor3D): tf.Tensor3D {
    let x: tf.Tensor = features;
    for (const blk of this.renderHidden) x = denseLnRelu(x, blk.fc, blk.ln, this.cfg.lnEps);
    return dense(x, this.renderOut) as tf.Tensor3D;
  }

  /** Full forward pass for codes z [B, D] and B sets of rays. Call inside tf.tidy / a gradient function. */
  forward(z: tf.Tensor2D, rays: RayInputs, opts: { rgb?: boolean } = {}): SrnOutput {
    const weights = this.phiWeights(z);
    const { points, depth } = this.raymarch(weights, rays);
    const features = this.phi(weights, points);
    const rgba = opts.rgb === false ? (tf.zeros([0, 0, 0]) as tf.Tensor3D) : this.renderRgb(features);
    return { rgba, depth, points, features };
  }

  /** Dense variables of the given groups (default all). 'latents' holds none: the table is host-side. */
  variables(groups: readonly ParamGroup[] = PARAM_GROUPS): tf.Variable[] {
    return this.params.list(groups).map((p) => p.variable);
  }

  /** Parameter counts per group (latents = table size). */
  parameterCounts(): Record<ParamGroup, number> & { total: number } {
    const out = { total: 0 } as Record<ParamGroup, number> & { total: number };
    for (const g of PARAM_GROUPS) {
      out[g] = g === 'latents' ? this.latents.count * this.latents.dim : this.params.count([g]);
      out.total += out[g];
    }
    return out;
  }

  /**
   * sha256 (16 hex digits) of the weights a prediction depends on, by name: the SRN (hypernetwork, ray marcher,
   * renderer) and, with `heads`, every segmentation head's parameters and running statistics; never the latents.
   * What a resumable evaluation's journal is keyed by (a fit from RGB alone needs no head).
   */
  digest(opts: { heads: boolean }): string {
    const h = createHash('sha256');
    const add = (name: string, t: tf.Tensor) => {
      const a = t.dataSync() as Float32Array;
      h.update(`${name}[${t.shape.join(',')}]`).update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    };
    for (const p of this.params.list()) if (p.group !== 'latents' && (opts.heads || p.group !== 'segHead')) add(p.name, p.variable);
    if (opts.heads) for (const head of this.heads.values()) for (const [k, v] of Object.entries(head.namedState())) if (!this.params.get(k)) add(k, v);
    return h.digest('hex').slice(0, 16);
  }

  /** Every weight by name (dense parameters, BatchNorm running stats, and `latents` [N, D]); copies. */
  namedWeights(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const p of this.params.list()) out[p.name] = p.variable.clone();
    for (const h of this.heads.values()) for (const [k, v] of Object.entries(h.namedState())) out[k] = v.clone();
    out.latents = tf.tensor2d(this.latents.values, [this.latents.count, this.latents.dim]);
    return out;
  }

  /** Loads weights by name (shapes must match); unknown names throw, missing ones are left as they are. */
  loadWeights(weights: Record<string, tf.Tensor>): void {
    const state = new Map<string, tf.Variable>();
    for (const h of this.heads.values()) for (const [k, v] of Object.entries(h.namedState())) state.set(k, v);
    for (const [name, t] of Object.entries(weights)) {
      if (name === 'latents') {
        if (t.shape[0] !== this.latents.count || t.shape[1] !== this.latents.dim) {
          throw new Error(`loadWeights: latents are [${t.shape}], the table is [${this.latents.count}, ${this.latents.dim}]`);
        }
        this.latents.values.set(t.dataSync());
        continue;
      }
      const v = this.params.get(name)?.variable ?? state.get(name);
      if (!v) throw new Error(`loadWeights: unknown weight '${name}'`);
      if (v.shape.join(',') !== t.shape.join(',')) throw new Error(`loadWeights: '${name}' is [${t.shape}], expected [${v.shape}]`);
      v.assign(t);
    }
  }

  dispose(): void {
    for (const h of [...this.heads.keys()]) this.removeHead(h);
    this.params.dispose();
  }
}

/**
 * Parameter counts per group computed from the config alone (no allocation), for any head kind.
 * Paper preset: hypernet 51,519,232; renderer 332,548; linear head (C=6) 1,542.
 */
export function countParameters(cfg: ModelConfig, head: SegHeadKind | null = null, numClasses = cfg.numClasses): Record<Exclude<ParamGroup, 'latents'>, number> {
  const F = cfg.phiWidth;
  const lin = (i: number, o: number) => i * o + o;
  let hypernet = 0;
  for (let l = 0; l < cfg.phiLayers; l++) {
    let d = cfg.latentDim;
    for (let k = 0; k < cfg.hyperHiddenLayers; k++) {
      hypernet += lin(d, cfg.hyperHidden) + 2 * cfg.hyperHidden;
      d = cfg.hyperHidden;
    }
    hypernet += lin(d, (l === 0 ? 3 : F) * F + F);
  }
  const H = cfg.lstmHidden;
  const raymarcher = F * 4 * H + H * 4 * H + 8 * H + lin(H, 1);
  let renderer = 0;
  let d = F;
  for (let k = 0; k < cfg.rendererHiddenLayers; k++) {
    renderer += lin(d, cfg.rendererWidth) + 2 * cfg.rendererWidth;
    d = cfg.rendererWidth;
  }
  renderer += lin(d, cfg.rgbChannels);
  let segHead = 0;
  if (head === 'linear') segHead = lin(F, numClasses);
  else if (head === 'mlp') {
    let e = F;
    for (let k = 0; k < cfg.mlpHeadLayers; k++) {
      segHead += lin(e, cfg.mlpHeadWidth) + 2 * cfg.mlpHeadWidth;
      e = cfg.mlpHeadWidth;
    }
    segHead += lin(e, numClasses);
  } else if (head === 'unet') {
    const u = cfg.unet;
    const ch = (i: number) => Math.min(2 ** i * u.nf0, u.maxChannels);
    const conv = (k: number, i: number, o: number, bias: boolean) => k * k * i * o + (bias ? o : 0);
    segHead += conv(3, F, u.nf0, false) + 2 * u.nf0;
    for (let i = 0; i < u.numDown; i++) {
      const innermost = i === u.numDown - 1;
      const outer = ch(i);
      const inner = ch(i + 1);
      const upIn = innermost ? inner : 2 * inner;
      const bias = innermost;
      const bn = (c: number) => (innermost ? 0 : 2 * c);
      segHead += conv(3, outer, outer, bias) + bn(outer) + conv(4, outer, inner, bias) + bn(inner);
      segHead += conv(4, upIn, outer, bias) + bn(outer) + conv(3, outer, outer, bias) + bn(outer);
    }
    segHead += conv(3, 2 * u.nf0, numClasses, true);
  }
  return { hypernet, raymarcher, renderer, segHead };
}
