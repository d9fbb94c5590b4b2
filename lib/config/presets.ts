/**
 * Named presets. `paper` is every reference number; `cpu` is sized for 2 CPU cores (the measurements
 * behind it are in docs/presets.md); `tiny` is for tests.
 */
import { DEFAULT_CONFIG, PAPER_SCHEDULE, RELEASED_SCRIPT_SCHEDULE } from './defaults';
import { resolveConfig } from './resolve';
import type { DeepPartial, SrnConfig } from './types';

export const PRESET_NAMES = ['paper', 'paper-released', 'cpu', 'cpu64', 'tiny'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const OVERRIDES: Record<PresetName, DeepPartial<SrnConfig>> = {
  // The defaults are the reference numbers; the schedule is the paper's (20k@64²/b92 + 85k@128²/b16).
  paper: { preset: 'paper', training: { pretrain: { schedule: PAPER_SCHEDULE }, semantic: { schedule: PAPER_SCHEDULE } } },
  // Same model, the released scripts' schedule (5k@64²/b4 + 150k@128²/b8).
  'paper-released': {
    preset: 'paper-released',
    training: { pretrain: { schedule: RELEASED_SCRIPT_SCHEDULE }, semantic: { schedule: RELEASED_SCRIPT_SCHEDULE } },
  },
  // See docs/presets.md for the step-time and quality measurements behind these numbers.
  cpu: {
    preset: 'cpu',
    // Widths 64 (hypernet 0.87M params instead of 51.5M): on 2 cores with wasm a step over 4 whole 32² images
    // takes ~2.2 s vs ~3.6 s at width 128 (docs/presets.md); the architecture (4 hyper-MLPs, LSTM 16, 10 steps,
    // LN/ReLU placement, losses, optimisers) is unchanged.
    model: {
      latentDim: 64,
      phiWidth: 64,
      hyperHidden: 64,
      rendererWidth: 64,
      rendererHiddenLayers: 2,
      mlpHeadWidth: 64,
      unet: { nf0: 32, numDown: 3, maxChannels: 64 },
    },
    training: {
      pretrain: { schedule: [{ side: 32, batchSize: 4, steps: 3000 }], raysPerImage: null },
      semantic: { schedule: [{ side: 32, batchSize: 4, steps: 3000 }] },
      // The released script's 5,000 probe steps: with cached features they cost ~1 min here, and 600 steps
      // left the linear head predicting seat for almost every foreground pixel (single-view mIOU 37.2% vs
      // 57.9% on the first test chair with 5,000, same pre-trained SRN).
      probe: { steps: 5000, batchSize: 10, side: 32 },
      // 10 test objects share each step (each still its own fit): 2.4× less time per object than one by one.
      latentFit: { steps: 300, batchSize: 1, side: 32, raysPerImage: null, objectsPerStep: 10 },
    },
    data: { renderResolution: 64, maxTrainInstances: 50, maxTestInstances: 10 },
    inference: { side: 32, chunkRays: 4096 },
  },
  // The 64² scale (docs/presets.md): thin parts (legs, arms) are ~2 px wide at 64² and ~1 px at 32².
  // Data generated at 128² like the official renders; every stage (pre-training, probe, fit, evaluation) at 64².
  cpu64: {
    preset: 'cpu64',
    // Width 128 (hypernet 6.6M params): capacity for thin parts at 1.45× the step time of width 64 over the
    // same whole 64² images (bench/scale.ts, docs/presets.md). A 1,024-ray subset was no faster per step.
    model: {
      latentDim: 128,
      phiWidth: 128,
      hyperHidden: 128,
      rendererWidth: 128,
      rendererHiddenLayers: 2,
      mlpHeadWidth: 128,
      unet: { nf0: 32, numDown: 4, maxChannels: 64 },
    },
    training: {
      // 10,000 steps of 4 whole images: a third of the paper's 64² stage in images seen per object
      // (paper: 20k steps × 92 images over 4,489 objects; here 10k × 4 over 50). Resumable across sittings.
      pretrain: { schedule: [{ side: 64, batchSize: 4, steps: 10000 }], raysPerImage: null, checkpointEvery: 500 },
      semantic: { schedule: [{ side: 64, batchSize: 4, steps: 10000 }] },
      probe: { steps: 5000, batchSize: 10, side: 64 },
      // 4 objects share a fit step: 4 whole 64² images, the rays of a pre-training step. 10 (the cpu preset's)
      // overflowed wasm's 4 GiB heap in the joint fit (abort in xnnMatMul, `npm run bench -- --backend wasm`).
      latentFit: { steps: 300, batchSize: 1, side: 64, raysPerImage: null, objectsPerStep: 4 },
    },
    data: { renderResolution: 128, maxTrainInstances: 50, maxTestInstances: 10 },
    inference: { side: 64, chunkRays: 4096 },
  },
  tiny: {
    preset: 'tiny',
    model: {
      latentDim: 8,
      phiWidth: 16,
      hyperHidden: 16,
      lstmHidden: 4,
      marchSteps: 3,
      rendererWidth: 16,
      rendererHiddenLayers: 1,
      mlpHeadLayers: 1,
      mlpHeadWidth: 8,
      unet: { nf0: 4, numDown: 2, maxChannels: 8 },
    },
    training: {
      pretrain: { schedule: [{ side: 8, batchSize: 2, steps: 4 }] },
      semantic: { schedule: [{ side: 8, batchSize: 2, steps: 4 }] },
      probe: { steps: 4, batchSize: 2, side: 8 },
      latentFit: { steps: 4, batchSize: 1, side: 8 },
    },
    data: { renderResolution: 16, maxTrainInstances: 3, maxTestInstances: 2, fewShot: { instances: 2, viewsPerInstance: 2, views: [0, 1] } },
    inference: { side: 8, chunkRays: 32 },
  },
};

/** Steps of a stage's schedule, all its phases together. */
export function scheduleSteps(schedule: readonly { steps: number }[]): number {
  return schedule.reduce((n, s) => n + s.steps, 0);
}

/** A preset, optionally with overrides on top; validated. */
export function presetConfig(name: string, overrides: DeepPartial<SrnConfig> = {}): SrnConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`preset: expected one of ${PRESET_NAMES.join(', ')}, got '${name}'`);
  }
  const base = resolveConfig(OVERRIDES[name as PresetName], DEFAULT_CONFIG);
  return resolveConfig(overrides, base);
}
