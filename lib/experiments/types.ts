/**
 * Experiments as data (issue 6): `experiments/<name>.json` holds, per scale of lib/config/scales.ts (`small`
 * for CI smoke runs, `cpu` and `cpu64` for 2 cores, `paper` for the reference numbers), what is particular to
 * the experiment; the model preset, data and schedule come from the scale. These are the typed shapes the
 * loader returns after validation.
 */
import { SCALE_DEFINITIONS, SCALE_NAMES, type ScaleName } from '../config/scales';
import type { DeepPartial, SrnConfig } from '../config/types';
import type { Table1ColumnId } from '../eval/table1';

export const EXPERIMENT_NAMES = [
  'semi-supervised-probe',
  'tco-baseline',
  'unet-baselines',
  'label-count-sweep',
  'interpolation',
  'mask-reconstruction',
  'table-1',
] as const;
export type ExperimentName = (typeof EXPERIMENT_NAMES)[number];

/** The scale names (lib/config/scales.ts is the one definition). */
export const SCALES = SCALE_NAMES;
export type Scale = ScaleName;

/** The SRN preset of each scale (derived from SCALE_DEFINITIONS; notebooks pick their thread count with it). */
export const SCALE_PRESETS: Readonly<Record<Scale, string>> = Object.fromEntries(SCALE_NAMES.map((n) => [n, SCALE_DEFINITIONS[n].srnPreset])) as Record<Scale, string>;

/** Where the objects come from. */
export interface ExperimentDataConfig {
  /** 'chair' or 'table'. */
  className: string;
  /** Dataset root (official layout), relative to the working directory unless absolute. */
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

/** Fields every experiment scale has. */
export interface BaseScaleConfig {
  /** Config preset of lib/config (tiny, cpu, paper, paper-released). */
  preset: string;
  /** Seed of the pre-training (model init, ray sampling). */
  seed: number;
  /**
   * Replicate seeds (default `[seed]`): each drives the few-shot draw, the heads' init and batches and the
   * test-time fits (and, for the baselines, their whole training) on the one pre-training of `seed`.
   */
  seeds: number[];
  data: ExperimentDataConfig;
  /** Deep overrides on top of the preset (validated by resolveConfig: unknown keys are errors). */
  overrides: DeepPartial<SrnConfig>;
  /** Evaluate every n-th test view (0, n, 2n, …, plus the observed views); 1 = all views (reference). */
  evalViewEvery: number;
}

export interface SemiSupervisedProbeConfig extends BaseScaleConfig {
  /** Observation protocol of the test-time fit: 'single' (view 65) or 'multi' (50 views). */
  protocol: 'single' | 'multi';
  /** Test objects drawn in the comparison figures. */
  figureInstances: number;
  /** Novel views per figure (the observed view is always among them). */
  figureViews: number;
}

export interface LabelCountSweepConfig extends BaseScaleConfig {
  /** Sweep points: labelled objects × views per object (labelled images = product). */
  points: { instances: number; views: number }[];
  /** Methods: 'srn+linear' always works; 'unet' needs lib/baselines. */
  methods: ('srn+linear' | 'unet')[];
  /** Options for the U-Net baseline (passed through to lib/baselines). */
  unet: Record<string, unknown>;
}

export interface InterpolationConfig extends BaseScaleConfig {
  /** Two test objects (positions in the test split). */
  pair: [number, number];
  /** Frames N of the orbit; frame j uses z = (1 − j/N)·a + (j/N)·b. */
  frames: number;
  /** Rendered side of the frames. */
  side: number;
  /** How the two codes are fitted: from view 65 ('single') or 50 views ('multi'). */
  fitProtocol: 'single' | 'multi';
  /** Frames shown in the strips (evenly spaced). */
  stripFrames: number;
  /** Write an animated GIF of RGB | labels side by side. */
  gif: boolean;
  /** Delay between GIF frames in ms. */
  gifDelayMs: number;
}

export interface MaskReconstructionConfig extends BaseScaleConfig {
  /** Test objects (positions in the test split) whose mask is the only observation. */
  instances: number[];
  /** View (file index) of the observed mask (reference 65). */
  maskView: number;
  /** Novel poses rendered per object (spread over the test views). */
  novelViews: number;
  /** Steps of the mask fit; null = config.training.latentFit.steps. */
  fitSteps: number | null;
  /**
   * Heads the mask is fitted through: 'linear' (the semi-supervised probe) and/or 'unet' (the fully supervised
   * semantic SRN, as the paper's Fig. 6). Default ['linear'].
   */
  heads: ('linear' | 'unet')[];
}

export interface BaselineExperimentConfig extends BaseScaleConfig {
  /** Options for lib/baselines (validated there). */
  baseline: Record<string, unknown>;
}

export interface Table1Config extends BaseScaleConfig {
  /** Experiments run when their rows are missing from the runs folder. */
  runMissing: ExperimentName[];
  /** Only these Table 1 columns are run when missing (`--columns`); all six when absent. */
  columns?: Table1ColumnId[];
}

export interface ExperimentConfigMap {
  'semi-supervised-probe': SemiSupervisedProbeConfig;
  'tco-baseline': BaselineExperimentConfig;
  'unet-baselines': BaselineExperimentConfig;
  'label-count-sweep': LabelCountSweepConfig;
  interpolation: InterpolationConfig;
  'mask-reconstruction': MaskReconstructionConfig;
  'table-1': Table1Config;
}

/** A loaded, validated configuration of one experiment at one scale. */
export type ExperimentConfig<N extends ExperimentName = ExperimentName> = ExperimentConfigMap[N] & {
  experiment: N;
  scale: Scale;
  /** File it was read from (for messages and results.json). */
  source: string;
  description: string;
};
