/**
 * Configuration as data: one plain object per component. Every number of the reference lives in
 * `defaults.ts`; presets are partial overrides resolved through `resolveConfig`.
 */

export type SegHeadKind = 'linear' | 'mlp' | 'unet';

export interface UnetConfig {
  /** Features at the top level (reference 64). */
  nf0: number;
  /** Number of stride-2 downsamplings (reference 4; the image side must be divisible by 2^numDown). */
  numDown: number;
  /** Channel cap (reference 128). */
  maxChannels: number;
  /** Dropout2d probability, 0 = off (the feature U-Net runs without dropout in [R]). */
  dropout: number;
  /** BatchNorm: PyTorch momentum (0.1 → running = 0.9·running + 0.1·batch) and eps. */
  bnMomentum: number;
  bnEps: number;
}

export interface ModelConfig {
  /** Latent code size (reference 256). */
  latentDim: number;
  /** Width of phi's layers = feature size F (reference 256). */
  phiWidth: number;
  /** Number of phi layers, 3→F then (n−1)×F→F (reference 4). */
  phiLayers: number;
  /** Hidden width of each hyper-MLP (reference 256). */
  hyperHidden: number;
  /** Linear→LN→ReLU blocks per hyper-MLP before its output Linear (reference 2). */
  hyperHiddenLayers: number;
  /** Scale on each hyper-MLP's last weight after Kaiming init (reference 0.1). */
  hyperLastWeightScale: number;
  /** LSTM hidden units: 16 in the code, 256 in the paper text (pitfall 1). */
  lstmHidden: number;
  /** Ray-marching steps (reference 10). */
  marchSteps: number;
  /** Camera z-depth of the starting point of every ray (reference 0.05). */
  initialDepth: number;
  /** Backward clamp of the LSTM hidden state gradient, ±value (reference 10). */
  gradClamp: number;
  /** Pixel generator hidden blocks (5 in the code; the paper says "4 layers"). */
  rendererHiddenLayers: number;
  /** Pixel generator width (reference 256). */
  rendererWidth: number;
  /** Output channels of the pixel generator (RGBA: 4). */
  rgbChannels: number;
  /** Number of semantic classes including background (chairs 6, tables 11). */
  numClasses: number;
  /** MLP head: hidden blocks and width (reference 4 × 256). */
  mlpHeadLayers: number;
  mlpHeadWidth: number;
  unet: UnetConfig;
  /** LayerNorm epsilon (PyTorch default 1e-5; TF.js 1e-3 would be wrong, pitfall 4). */
  lnEps: number;
}

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface LossWeights {
  /** ×MSE on RGBA (reference 200). */
  img: number;
  /** ×cross-entropy (reference 8). */
  ce: number;
  /** ×mean(z²) (reference 1). */
  latent: number;
  /** ×10,000·mean(min(d,0)²) (reference 1e-3). */
  depth: number;
}

/** One resolution stage of a schedule: `steps` steps at side `side` with `batchSize` images. */
export interface ScheduleStage {
  side: number;
  batchSize: number;
  steps: number;
}

export interface StageConfig {
  /** Resolution stages, run in order; step counts are per stage. */
  schedule: ScheduleStage[];
  /** Rays drawn at random per image each step; null = every pixel (reference). Not allowed with the U-Net head. */
  raysPerImage: number | null;
  weights: LossWeights;
  /** Adam for the dense parameters (reference lr 4e-4, betas 0.9/0.999, eps 1e-8). */
  dense: AdamConfig;
  /** SparseAdam for the latent codes (reference lr 4e-4, betas 0.5/0.5, eps 1e-5). */
  latent: AdamConfig;
  /** Save a checkpoint every n steps (0 = only at the end, when a checkpoint path is given). */
  checkpointEvery: number;
}

export interface ProbeConfig {
  steps: number;
  batchSize: number;
  side: number;
  /** Head trained on frozen features: 'linear' (paper) or 'mlp'. */
  head: 'linear' | 'mlp';
  weights: LossWeights;
  dense: AdamConfig;
  /** Compute the frozen SRN features of the few-shot images once and reuse them. */
  cacheFeatures: boolean;
}

export interface LatentFitConfig {
  steps: number;
  /** Observed images per step (≤ number of observations). */
  batchSize: number;
  side: number;
  raysPerImage: number | null;
  /** RGB fit: 200/0/1/1e-3. Mask fit through the linear head: 0/8/0/0 (§4.5). */
  weights: LossWeights;
  latent: AdamConfig;
  /** Std of the fresh codes (reference 0.01). */
  initStd: number;
  /**
   * Objects fitted together in one step, each still getting exactly its solo fit's gradient (reference:
   * all test codes in one joint run). Only a speed/memory trade-off: G objects cost one batch of G·batchSize images.
   */
  objectsPerStep: number;
  /**
   * The feature U-Net head during fits through it (mask targets): 'train' as the reference code (the model stays
   * in train mode: batch statistics, and BN running statistics keep updating, §1.6c) or 'eval' (frozen running
   * statistics; fits of different objects stay independent, also when they share a step).
   */
  unetHeadMode: 'train' | 'eval';
}

export interface TrainingConfig {
  pretrain: StageConfig;
  semantic: StageConfig;
  probe: ProbeConfig;
  latentFit: LatentFitConfig;
}

export interface FewShotConfig {
  instances: number;
  viewsPerInstance: number;
  /** Fixed view indices (reference [0,1,2]); null = draw with the seed. */
  views: number[] | null;
  /** Require every class to be present among the chosen images (the paper's rule). */
  allClassesPresent: boolean;
  seed: number;
}

export interface DataConfig {
  className: string;
  /** Side of the built-in data when it is generated (the loader area-resizes it to each stage's side). */
  renderResolution: number;
  /** Cap on training instances (null = all). */
  maxTrainInstances: number | null;
  /** Cap on test instances (null = all). */
  maxTestInstances: number | null;
  fewShot: FewShotConfig;
}

export interface InferenceConfig {
  side: number;
  /** Rays per forward chunk when rendering (bounds memory). */
  chunkRays: number;
  /** Images rendered per batch. */
  batchSize: number;
}

export interface SrnConfig {
  /** Preset name this config came from (informational). */
  preset: string;
  seed: number;
  model: ModelConfig;
  training: TrainingConfig;
  data: DataConfig;
  inference: InferenceConfig;
}

export type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
