/**
 * The one scale vocabulary (issue 13): a scale names, together, the SRN preset (model + schedule), the
 * baselines' preset (TCO / U-Net sizes at the same image side), the data (where, generated or real, how
 * many objects, rendered size) and the evaluation stride. Experiments (`--scale`) and the notebooks pick
 * a scale; experiments/<name>.json only adds what is particular to an experiment (and may override a field).
 */
import type { DeepPartial, SrnConfig } from './types';
import type { PresetName } from './presets';

export const SCALE_NAMES = ['small', 'cpu', 'cpu64', 'paper'] as const;
export type ScaleName = (typeof SCALE_NAMES)[number];

export interface ScaleData {
  /** Dataset root (official layout: `<root>/<Class>/<Class>.train|test|val`), relative to the project root unless absolute. */
  root: string;
  /** Generate the built-in procedural objects under `root` when missing (false: real data must be there). */
  synthetic: boolean;
  /** Rendered size of generated data (ignored for real data). */
  resolution: number;
  /** Training objects (latent rows pre-trained; the few-shot labels come from these). */
  train: number;
  /** Test objects fitted and evaluated. */
  test: number;
}

export interface ScaleDefinition {
  name: ScaleName;
  /** One line for `--help` and the docs. */
  description: string;
  /** SRN preset (lib/config/presets.ts): model widths and every stage's schedule. */
  srnPreset: PresetName;
  /** Baselines' preset (lib/baselines/config.ts): TCO and U-Net sizes at this scale's image side. */
  baselinePreset: string;
  data: ScaleData;
  /** Deep overrides on the SRN preset that belong to the scale (the smoke scale shrinks every stage). */
  overrides: DeepPartial<SrnConfig>;
  /** Evaluate every n-th test view (plus the observed ones); 1 = all views (reference). */
  evalViewEvery: number;
}

// The smoke scale: 8² everything, a few steps per stage, so CI runs every experiment in seconds.
const SMALL_OVERRIDES: DeepPartial<SrnConfig> = {
  training: {
    pretrain: { schedule: [{ side: 8, batchSize: 2, steps: 16 }] },
    probe: { steps: 20, batchSize: 4, side: 8 },
    latentFit: { steps: 8, batchSize: 1, side: 8 },
  },
  data: { fewShot: { instances: 3, viewsPerInstance: 2, views: [0, 1] } },
  inference: { side: 8, chunkRays: 64 },
};

export const SCALE_DEFINITIONS: Readonly<Record<ScaleName, ScaleDefinition>> = {
  small: {
    name: 'small',
    description: 'CI smoke test: tiny model, 8² renders of 3 + 2 generated objects (numbers are not results)',
    srnPreset: 'tiny',
    baselinePreset: 'tiny',
    data: { root: '.cache/data-small', synthetic: true, resolution: 16, train: 3, test: 2 },
    overrides: SMALL_OVERRIDES,
    evalViewEvery: 25,
  },
  cpu: {
    name: 'cpu',
    description: '2 CPU cores, 32²: 50 + 10 generated objects rendered at 64², widths 64',
    srnPreset: 'cpu',
    baselinePreset: 'cpu',
    data: { root: '.cache/data', synthetic: true, resolution: 64, train: 50, test: 10 },
    overrides: {},
    evalViewEvery: 1,
  },
  cpu64: {
    name: 'cpu64',
    description: '2 CPU cores (native backend), 64²: 50 + 10 generated objects rendered at 128², widths 128',
    srnPreset: 'cpu64',
    baselinePreset: 'cpu64',
    data: { root: '.cache/data-128', synthetic: true, resolution: 128, train: 50, test: 10 },
    overrides: {},
    evalViewEvery: 1,
  },
  paper: {
    name: 'paper',
    description: "the paper's: the released ShapeNet/PartNet data at 128², the reference model and schedule",
    srnPreset: 'paper',
    baselinePreset: 'paper',
    data: { root: 'data/semantic_srn_data', synthetic: false, resolution: 128, train: 4489, test: 1214 },
    overrides: {},
    evalViewEvery: 1,
  },
};

/** The definition of a scale; an unknown name fails listing the known ones. */
export function scaleDefinition(name: string): ScaleDefinition {
  if (!(SCALE_NAMES as readonly string[]).includes(name)) throw new Error(`scale: expected one of ${SCALE_NAMES.join(', ')}, got '${name}'`);
  return SCALE_DEFINITIONS[name as ScaleName];
}
