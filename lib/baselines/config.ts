/**
 * Baseline configuration: defaults (the authors' numbers), presets `paper` / `cpu` / `tiny`, and validation
 * with messages naming the field — the same pattern as lib/config (mergeConfig rejects unknown keys).
 * The measurements behind `cpu` are in docs/baselines.md.
 */
import { mergeConfig } from '../config/resolve';
import type { AdamConfig, DeepPartial } from '../config/types';
import type { PoseEncoding, UpAxis } from './tco';

export interface TcoConfig {
  /** Image side the net runs at (128 paper; 64 and 32 drop outer levels, §B1 adaptation 4). */
  side: number;
  /** 3 = RGB (mv3d), 4 = RGBA (the Semantic SRN authors' port). */
  inChannels: number;
  /** RGB+D variant: a 4th output channel trained on depth/ maps (synthetic data only), + depthWeight·L1. */
  depth: boolean;
  depthWeight: number;
  /** Depth mapped to [−0.75, 0.75] over [0, depthMax] (mv3d: 16-bit range). */
  depthMax: number;
  poseEncoding: PoseEncoding;
  /** Radius normaliser of the 'mv3d' pose vector (mv3d 100 for r ∈ [1.7, 2.3]; ours r ≈ 1.3). */
  rho: number;
  upAxis: UpAxis;
  fcWidth: number;
  poseWidth: number;
  pretrain: { steps: number; batchSize: number; adam: AdamConfig; logEvery: number };
  probe: {
    steps: number;
    batchSize: number;
    adam: AdamConfig;
    /** Cross-entropy weight (reference 8). */
    ceWeight: number;
    /** Input view while training the head: another view of the same instance, or the target view itself. */
    input: 'other-view' | 'same-view';
    /** With 'other-view': random other views per labelled target (features cached for each). */
    inputsPerTarget: number;
  };
}

export interface Unet2dTrainConfig {
  steps: number;
  batchSize: number;
  adam: AdamConfig;
  /** Validation mIOU every this many steps (0 = never; then the last weights are kept). */
  evalEvery: number;
  /** Stop after this many evaluations without improvement (0 = never stop early); the best weights are kept. */
  patience: number;
}

export interface Unet2dConfig {
  side: number;
  inChannels: number;
  nf0: number;
  numDown: number;
  maxChannels: number;
  dropout: number;
  fixedDropout: number;
  upActivation: 'relu' | 'leakyRelu';
  bnMomentum: number;
  bnEps: number;
  oracle: Unet2dTrainConfig;
  fewShot: Unet2dTrainConfig & { dropoutGrid: number[] };
}

export interface SrnUnetConfig {
  /** SRN preset for the end-to-end semantic SRN (trainSemantic + fitLatentCodes). */
  srnPreset: string;
  /** U-Net on SRN-rendered RGB: training views rendered per training instance. */
  renderViewsPerInstance: number;
  /** Training of that U-Net (architecture from `unet`). */
  rgbUnet: Unet2dTrainConfig;
}

export interface BaselineConfig {
  preset: string;
  seed: number;
  /** SRN preset whose few-shot rule (10 × 3 images, seed, all classes) and probe side the 30-shot baselines share. */
  srnPreset: string;
  data: {
    className: string;
    maxTrainInstances: number | null;
    maxTestInstances: number | null;
    /** Validation instances / views per instance (U-Net model selection). */
    valInstances: number;
    valViews: number;
    /** Evaluation side (paper 128). */
    evalSide: number;
  };
  tco: TcoConfig;
  unet: Unet2dConfig;
  srnUnet: SrnUnetConfig;
}

const ADAM = (lr: number): AdamConfig => ({ lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });

/** The authors' numbers (paper / released code; see docs/baselines.md for the sources). */
export const DEFAULT_BASELINE_CONFIG: BaselineConfig = {
  preset: 'paper',
  seed: 0,
  srnPreset: 'paper',
  data: { className: 'Chair', maxTrainInstances: null, maxTestInstances: null, valInstances: 20, valViews: 10, evalSide: 128 },
  tco: {
    side: 128,
    inChannels: 3,
    depth: false,
    depthWeight: 0.1,
    depthMax: 3,
    poseEncoding: 'mv3d',
    rho: 2,
    upAxis: 'z',
    fcWidth: 4096,
    poseWidth: 64,
    // mv3d: Adam 1e-4, batch 64; the paper-era Semantic SRN checkpoint is at 45k steps.
    pretrain: { steps: 45000, batchSize: 64, adam: ADAM(1e-4), logEvery: 100 },
    // reference §8: Adam 4e-4, batch 30, 5k steps, 8·CE.
    probe: { steps: 5000, batchSize: 30, adam: ADAM(4e-4), ceWeight: 8, input: 'other-view', inputsPerTarget: 8 },
  },
  unet: {
    side: 128,
    inChannels: 4,
    nf0: 64,
    numDown: 7,
    maxChannels: 512,
    dropout: 0.2,
    fixedDropout: 0.1,
    upActivation: 'relu',
    bnMomentum: 0.1,
    bnEps: 1e-5,
    // Paper: Adam 4e-4, batch 64, ~80k iterations, early stopping on validation.
    oracle: { steps: 80000, batchSize: 64, adam: ADAM(4e-4), evalEvery: 2000, patience: 5 },
    fewShot: { steps: 5000, batchSize: 30, adam: ADAM(4e-4), evalEvery: 100, patience: 10, dropoutGrid: [0, 0.1, 0.2, 0.5] },
  },
  srnUnet: {
    srnPreset: 'paper',
    renderViewsPerInstance: 50,
    rgbUnet: { steps: 80000, batchSize: 64, adam: ADAM(4e-4), evalEvery: 2000, patience: 5 },
  },
};

export const BASELINE_PRESET_NAMES = ['paper', 'cpu', 'cpu64', 'tiny'] as const;
export type BaselinePresetName = (typeof BASELINE_PRESET_NAMES)[number];

const PRESETS: Record<BaselinePresetName, DeepPartial<BaselineConfig>> = {
  paper: {},
  // Sized from the step times in docs/baselines.md (2 cores); evaluation at the SRN cpu preset's 32².
  cpu: {
    preset: 'cpu',
    srnPreset: 'cpu',
    data: { maxTrainInstances: 50, maxTestInstances: 10, valInstances: 10, valViews: 10, evalSide: 32 },
    tco: {
      side: 32,
      fcWidth: 1024,
      pretrain: { steps: 1500, batchSize: 16, logEvery: 50 },
      probe: { steps: 1000, batchSize: 30 },
    },
    unet: {
      side: 32,
      nf0: 32,
      numDown: 5,
      maxChannels: 256,
      oracle: { steps: 1000, batchSize: 16, evalEvery: 200, patience: 3 },
      fewShot: { steps: 400, batchSize: 15, evalEvery: 50, patience: 4, dropoutGrid: [0.1, 0.2, 0.5] },
    },
    srnUnet: { srnPreset: 'cpu', renderViewsPerInstance: 10, rgbUnet: { steps: 500, batchSize: 16, evalEvery: 100, patience: 3 } },
  },
  // The cpu64 scale: the cpu preset's sizes and steps at 64² (one more U-Net level keeps its 1² bottleneck);
  // steps not re-measured at 64², where a step costs ~4× the cpu preset's.
  cpu64: {
    preset: 'cpu64',
    srnPreset: 'cpu64',
    data: { maxTrainInstances: 50, maxTestInstances: 10, valInstances: 10, valViews: 10, evalSide: 64 },
    tco: {
      side: 64,
      fcWidth: 1024,
      pretrain: { steps: 1500, batchSize: 16, logEvery: 50 },
      probe: { steps: 1000, batchSize: 30 },
    },
    unet: {
      side: 64,
      nf0: 32,
      numDown: 6,
      maxChannels: 256,
      oracle: { steps: 1000, batchSize: 16, evalEvery: 200, patience: 3 },
      fewShot: { steps: 400, batchSize: 15, evalEvery: 50, patience: 4, dropoutGrid: [0.1, 0.2, 0.5] },
    },
    srnUnet: { srnPreset: 'cpu64', renderViewsPerInstance: 10, rgbUnet: { steps: 500, batchSize: 16, evalEvery: 100, patience: 3 } },
  },
  tiny: {
    preset: 'tiny',
    srnPreset: 'tiny',
    data: { maxTrainInstances: 3, maxTestInstances: 2, valInstances: 2, valViews: 2, evalSide: 16 },
    tco: {
      side: 16,
      fcWidth: 32,
      poseWidth: 8,
      pretrain: { steps: 2, batchSize: 2, logEvery: 1 },
      probe: { steps: 2, batchSize: 2, inputsPerTarget: 1 },
    },
    unet: {
      side: 16,
      nf0: 4,
      numDown: 2,
      maxChannels: 8,
      oracle: { steps: 2, batchSize: 2, evalEvery: 1, patience: 1 },
      fewShot: { steps: 2, batchSize: 2, evalEvery: 1, patience: 1, dropoutGrid: [0, 0.2] },
    },
    srnUnet: { srnPreset: 'tiny', renderViewsPerInstance: 2, rgbUnet: { steps: 2, batchSize: 2, evalEvery: 1, patience: 1 } },
  },
};

type Check = (path: string, v: unknown) => void;
const bad = (p: string, what: string, v: unknown): never => {
  throw new Error(`${p}: expected ${what}, got ${JSON.stringify(v)}`);
};
const int = (min: number): Check => (p, v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(p, `an integer ≥ ${min}`, v);
};
const num = (min: number, max: number): Check => (p, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) bad(p, `a number in [${min}, ${max}]`, v);
};
const oneOf = (...xs: unknown[]): Check => (p, v) => {
  if (!xs.includes(v)) bad(p, `one of ${xs.map((x) => JSON.stringify(x)).join(', ')}`, v);
};
const pow2 = (min: number): Check => (p, v) => {
  int(min)(p, v);
  if (!Number.isInteger(Math.log2(v as number))) bad(p, 'a power of two', v);
};
function check(obj: Record<string, unknown>, path: string, spec: Record<string, Check>): void {
  for (const [k, c] of Object.entries(spec)) c(`${path}.${k}`, obj[k]);
}
const adam = (p: string, a: AdamConfig) => check(a as unknown as Record<string, unknown>, p, { lr: num(1e-12, 10), beta1: num(0, 0.999999), beta2: num(0, 0.999999), eps: num(1e-20, 1) });
const train = (p: string, t: Unet2dTrainConfig) => {
  check(t as unknown as Record<string, unknown>, p, { steps: int(0), batchSize: int(1), evalEvery: int(0), patience: int(0) });
  adam(`${p}.adam`, t.adam);
};

/** Throws naming the first bad field. */
export function validateBaselineConfig(c: BaselineConfig): void {
  check(c as unknown as Record<string, unknown>, 'baseline', { seed: int(0) });
  check(c.data as unknown as Record<string, unknown>, 'baseline.data', { valInstances: int(1), valViews: int(1), evalSide: int(2) });
  const t = c.tco;
  check(t as unknown as Record<string, unknown>, 'baseline.tco', {
    side: oneOf(16, 32, 64, 128), inChannels: oneOf(3, 4), depth: oneOf(true, false), depthWeight: num(0, 1e6), depthMax: num(1e-6, 1e6),
    poseEncoding: oneOf('mv3d', 'cam2world'), rho: num(1e-6, 1e6), upAxis: oneOf('x', 'y', 'z'), fcWidth: int(1), poseWidth: int(1),
  });
  check(t.pretrain as unknown as Record<string, unknown>, 'baseline.tco.pretrain', { steps: int(0), batchSize: int(1), logEvery: int(1) });
  adam('baseline.tco.pretrain.adam', t.pretrain.adam);
  check(t.probe as unknown as Record<string, unknown>, 'baseline.tco.probe', {
    steps: int(0), batchSize: int(1), ceWeight: num(0, 1e6), input: oneOf('other-view', 'same-view'), inputsPerTarget: int(1),
  });
  adam('baseline.tco.probe.adam', t.probe.adam);
  const u = c.unet;
  check(u as unknown as Record<string, unknown>, 'baseline.unet', {
    side: pow2(2), inChannels: oneOf(3, 4), nf0: int(1), numDown: int(1), maxChannels: int(1), dropout: num(0, 0.99),
    fixedDropout: num(0, 0.99), upActivation: oneOf('relu', 'leakyRelu'), bnMomentum: num(1e-6, 1), bnEps: num(1e-12, 1),
  });
  if (u.side / 2 ** u.numDown < 1) bad('baseline.unet.numDown', `at most log2(side) = ${Math.log2(u.side)}`, u.numDown);
  train('baseline.unet.oracle', u.oracle);
  train('baseline.unet.fewShot', u.fewShot);
  if (!Array.isArray(u.fewShot.dropoutGrid) || u.fewShot.dropoutGrid.length === 0) bad('baseline.unet.fewShot.dropoutGrid', 'a non-empty array', u.fewShot.dropoutGrid);
  u.fewShot.dropoutGrid.forEach((d, i) => num(0, 0.99)(`baseline.unet.fewShot.dropoutGrid[${i}]`, d));
  train('baseline.srnUnet.rgbUnet', c.srnUnet.rgbUnet);
  int(1)('baseline.srnUnet.renderViewsPerInstance', c.srnUnet.renderViewsPerInstance);
}

/** A baseline preset with optional overrides, validated. */
export function baselineConfig(preset: string, overrides: DeepPartial<BaselineConfig> = {}): BaselineConfig {
  if (!(BASELINE_PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new Error(`baseline preset: expected one of ${BASELINE_PRESET_NAMES.join(', ')}, got '${preset}'`);
  }
  const base = mergeConfig(DEFAULT_BASELINE_CONFIG, PRESETS[preset as BaselinePresetName], 'baseline');
  const cfg = mergeConfig(base, overrides, 'baseline');
  validateBaselineConfig(cfg);
  return cfg;
}
