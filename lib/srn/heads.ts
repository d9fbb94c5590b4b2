/**
 * Segmentation heads over the per-pixel features v [B, R, F] (spec/reference.md §1.6): the paper's
 * linear head, an MLP head, and the feature U-Net of the fully supervised model (whole images only).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig, SegHeadKind } from '../config/types';
import { Rng } from '../util/random';
import { dense, denseLnRelu } from './ops';
import { addDefaultDense, addKaimingDense, addLayerNorm, type DenseParams, type LayerNormParams, ParamStore } from './params';
import { FeatureUnet } from './unet';

export interface HeadForwardOptions {
  /** Image side when the rays are whole row-major images (required by the U-Net head). */
  side?: number;
  /** Train mode (U-Net BatchNorm batch statistics / dropout). */
  training?: boolean;
}

export interface SegHead {
  readonly kind: SegHeadKind;
  readonly numClasses: number;
  /** Parameter-name prefix in the model's ParamStore. */
  readonly prefix: string;
  /** features [B, R, F] → logits [B, R, C]. */
  apply(features: tf.Tensor3D, opts?: HeadForwardOptions): tf.Tensor3D;
  /** Non-trainable state to checkpoint (BatchNorm running statistics). */
  namedState(): Record<string, tf.Variable>;
}

/** Linear(F→C) with PyTorch's default init Uniform(±1/sqrt(F)) for weight and bias (pitfall 13). */
export class LinearHead implements SegHead {
  readonly kind = 'linear' as const;
  readonly fc: DenseParams;
  constructor(store: ParamStore, readonly prefix: string, inDim: number, readonly numClasses: number, rng: Rng) {
    this.fc = addDefaultDense(store, 'segHead', `${prefix}.fc`, rng, inDim, numClasses);
  }
  apply(features: tf.Tensor3D): tf.Tensor3D {
    return dense(features, this.fc) as tf.Tensor3D;
  }
  namedState(): Record<string, tf.Variable> {
    return {};
  }
}

/** n × [Linear → LN(affine) → ReLU] then Linear(→C); Kaiming-normal init like FCBlock. */
export class MlpHead implements SegHead {
  readonly kind = 'mlp' as const;
  readonly hidden: { fc: DenseParams; ln: LayerNormParams }[] = [];
  readonly out: DenseParams;
  constructor(store: ParamStore, readonly prefix: string, inDim: number, readonly numClasses: number, layers: number, width: number, private readonly eps: number, rng: Rng) {
    let d = inDim;
    for (let i = 0; i < layers; i++) {
      this.hidden.push({ fc: addKaimingDense(store, 'segHead', `${prefix}.fc${i}`, rng, d, width), ln: addLayerNorm(store, 'segHead', `${prefix}.ln${i}`, width) });
      d = width;
    }
    this.out = addKaimingDense(store, 'segHead', `${prefix}.out`, rng, d, numClasses);
  }
  apply(features: tf.Tensor3D): tf.Tensor3D {
    let x: tf.Tensor = features;
    for (const h of this.hidden) x = denseLnRelu(x, h.fc, h.ln, this.eps);
    return dense(x, this.out) as tf.Tensor3D;
  }
  namedState(): Record<string, tf.Variable> {
    return {};
  }
}

/** The U-Net over the S×S×F feature image built from row-major pixels. */
export class UnetHead implements SegHead {
  readonly kind = 'unet' as const;
  readonly unet: FeatureUnet;
  constructor(store: ParamStore, readonly prefix: string, inDim: number, readonly numClasses: number, cfg: ModelConfig, rng: Rng) {
    this.unet = new FeatureUnet(store, prefix, inDim, numClasses, cfg.unet, rng);
  }
  apply(features: tf.Tensor3D, opts: HeadForwardOptions = {}): tf.Tensor3D {
    const [b, r, f] = features.shape;
    const side = opts.side ?? Math.round(Math.sqrt(r));
    if (side * side !== r) throw new Error(`UnetHead: needs whole S×S images (got ${r} rays per image; pass side)`);
    const img = features.reshape([b, side, side, f]) as tf.Tensor4D;
    const logits = this.unet.apply(img, { training: opts.training ?? false });
    return logits.reshape([b, r, this.numClasses]) as tf.Tensor3D;
  }
  namedState(): Record<string, tf.Variable> {
    return this.unet.namedStats();
  }
}

/** Builds a head of a kind; its parameters live under `segHead.<kind>` in the store. */
export function createHead(store: ParamStore, kind: SegHeadKind, cfg: ModelConfig, rng: Rng, numClasses = cfg.numClasses): SegHead {
  const prefix = `segHead.${kind}`;
  switch (kind) {
    case 'linear':
      return new LinearHead(store, prefix, cfg.phiWidth, numClasses, rng);
    case 'mlp':
      return new MlpHead(store, prefix, cfg.phiWidth, numClasses, cfg.mlpHeadLayers, cfg.mlpHeadWidth, cfg.lnEps, rng);
    case 'unet':
      return new UnetHead(store, prefix, cfg.phiWidth, numClasses, cfg, rng);
  }
}
