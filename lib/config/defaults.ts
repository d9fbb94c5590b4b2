/**
 * The defaults: every number of spec/reference.md §1–4, taken from the released code where the
 * paper and the code disagree (the paper's variants are options, see PAPER_TEXT_VARIANTS).
 */
import type {
  AdamConfig, DataConfig, InferenceConfig, LatentFitConfig, LossWeights, ModelConfig, ProbeConfig,
  ScheduleStage, SrnConfig, StageConfig, TrainingConfig, UnetConfig,
} from './types';

export const DEFAULT_UNET: UnetConfig = { nf0: 64, numDown: 4, maxChannels: 128, dropout: 0, bnMomentum: 0.1, bnEps: 1e-5 };

export const DEFAULT_MODEL: ModelConfig = {
  latentDim: 256,
  phiWidth: 256,
  phiLayers: 4,
  hyperHidden: 256,
  hyperHiddenLayers: 2,
  hyperLastWeightScale: 0.1,
  lstmHidden: 16,
  marchSteps: 10,
  initialDepth: 0.05,
  gradClamp: 10,
  rendererHiddenLayers: 5,
  rendererWidth: 256,
  rgbChannels: 4,
  numClasses: 6,
  mlpHeadLayers: 4,
  mlpHeadWidth: 256,
  unet: DEFAULT_UNET,
  lnEps: 1e-5,
};

/** The single-view protocol's observed view (reference §4.4: view 65 of 251); eval/protocols.ts uses it too. */
export const SINGLE_VIEW_INDEX = 65;

/** PyTorch Adam defaults at the reference lr. */
export const DEFAULT_DENSE_ADAM: AdamConfig = { lr: 4e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/** The latent table's SparseAdam. */
export const DEFAULT_LATENT_ADAM: AdamConfig = { lr: 4e-4, beta1: 0.5, beta2: 0.5, eps: 1e-5 };

export const RGB_LOSS_WEIGHTS: LossWeights = { img: 200, ce: 0, latent: 1, depth: 1e-3 };
export const SEMANTIC_LOSS_WEIGHTS: LossWeights = { img: 200, ce: 8, latent: 1, depth: 1e-3 };
/** Linear update and mask fit through the linear head: 8·CE only (§3, §4.5). */
export const LINEAR_CE_WEIGHTS: LossWeights = { img: 0, ce: 8, latent: 0, depth: 0 };
/** Mask fit through the U-Net head of a semantic SRN: CE plus the regularisers (§4.5). */
export const UNET_MASK_FIT_WEIGHTS: LossWeights = { img: 0, ce: 8, latent: 1, depth: 1e-3 };

/** The paper's schedule (§4.1 [T]): 20k@64²/b92 then 85k@128²/b16. */
export const PAPER_SCHEDULE: ScheduleStage[] = [
  { side: 64, batchSize: 92, steps: 20_000 },
  { side: 128, batchSize: 16, steps: 85_000 },
];
/** The released scripts' schedule (`train_scripts/vanilla_*.sh`): 5k@64²/b4 then 150k@128²/b8. */
export const RELEASED_SCRIPT_SCHEDULE: ScheduleStage[] = [
  { side: 64, batchSize: 4, steps: 5_000 },
  { side: 128, batchSize: 8, steps: 150_000 },
];

export const DEFAULT_PRETRAIN: StageConfig = {
  schedule: PAPER_SCHEDULE,
  raysPerImage: null,
  weights: RGB_LOSS_WEIGHTS,
  dense: DEFAULT_DENSE_ADAM,
  latent: DEFAULT_LATENT_ADAM,
  checkpointEvery: 0,
};

export const DEFAULT_SEMANTIC: StageConfig = { ...DEFAULT_PRETRAIN, weights: SEMANTIC_LOSS_WEIGHTS };

/** `update_scripts/linear_30shot_*.sh`: batch 4, 5,000 steps, 128². */
export const DEFAULT_PROBE: ProbeConfig = {
  steps: 5_000,
  batchSize: 4,
  side: 128,
  head: 'linear',
  weights: LINEAR_CE_WEIGHTS,
  dense: DEFAULT_DENSE_ADAM,
  cacheFeatures: true,
};

/** Per-instance test-time fit: ~300–1,400 SparseAdam updates per code match the reference budget (§4.4). */
export const DEFAULT_LATENT_FIT: LatentFitConfig = {
  steps: 1_000,
  batchSize: 4,
  side: 128,
  raysPerImage: null,
  weights: RGB_LOSS_WEIGHTS,
  latent: DEFAULT_LATENT_ADAM,
  initStd: 0.01,
  // One object per step at 128² with batch 4 is already the reference's per-step batch.
  objectsPerStep: 1,
  unetHeadMode: 'train',
};

export const DEFAULT_TRAINING: TrainingConfig = {
  pretrain: DEFAULT_PRETRAIN,
  semantic: DEFAULT_SEMANTIC,
  probe: DEFAULT_PROBE,
  latentFit: DEFAULT_LATENT_FIT,
};

export const DEFAULT_DATA: DataConfig = {
  className: 'Chair',
  // The official renders are 128² (spec/reference.md §5); the built-in data is generated at this size.
  renderResolution: 128,
  maxTrainInstances: null,
  maxTestInstances: null,
  fewShot: { instances: 10, viewsPerInstance: 3, views: [0, 1, 2], allClassesPresent: true, seed: 0 },
};

export const DEFAULT_INFERENCE: InferenceConfig = { side: 128, chunkRays: 4096, batchSize: 1 };

export const DEFAULT_CONFIG: SrnConfig = {
  preset: 'default',
  seed: 0,
  model: DEFAULT_MODEL,
  training: DEFAULT_TRAINING,
  data: DEFAULT_DATA,
  inference: DEFAULT_INFERENCE,
};

/** Paper-text variants of numbers where the released code differs (pitfall 20); apply with resolveConfig. */
export const PAPER_TEXT_VARIANTS = {
  /** "LSTM with 256 units" (the code has 16). */
  lstm256: { model: { lstmHidden: 256 } },
  /** "4-layer MLP" pixel generator (the code has 5 hidden + output). */
  renderer4Layers: { model: { rendererHiddenLayers: 3 } },
} as const;
