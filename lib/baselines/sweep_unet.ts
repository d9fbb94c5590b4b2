/**
 * The 2-D U-Net of the label-count sweep (supplement Fig. 1): trained on one labelled subset with the 30-shot
 * recipe (early stopping on validation mIOU, best weights kept), its dropout chosen on validation from the preset's
 * `unet.fewShot.dropoutGrid` at every point as the paper did (`dropout: 'fixed'` trains once at `unet.dropout`,
 * a grid's cost divided by its length), then run on the ground-truth RGB of every evaluated test view, like the
 * 30-shot U-Net row of Table 1.
 */
import type { DeepPartial, SrnConfig } from '../config/types';
import type { ProgressCallback } from '../training/progress';
import { openSplit, subsetSplit } from '../data/split';
import type { SplitInfo } from '../data/types';
import { loadView, ViewCache } from '../data/view_loader';
import { viewPositions } from '../eval/protocols';
import { BASELINE_PRESET_NAMES, baselineConfig, type BaselineConfig } from './config';
import { Unet2d } from './unet2d';
import { predictLabels, splitImageSet, trainFewShotUnet, trainUnet2d, unetArch, type UnetTrainResult } from './unet_train';
import { UnetGridJournal } from './unet_grid_journal';
import { REFLECT_PAD_GRAD_VERSION } from '../srn/reflect_pad';
import { nearestResizeLabels } from './util';

export interface SweepUnetOptions {
  /** Baseline preset (default: the SRN preset's namesake, 'cpu' / 'tiny', else 'paper'). */
  preset?: string;
  /** Overrides of that preset (`unet.fewShot` is the training recipe, `unet.fewShot.dropoutGrid` the dropouts tried). */
  overrides?: DeepPartial<BaselineConfig>;
  /** 'validation' (default): the grid's best on validation mIOU; 'fixed': `unet.dropout` only. */
  dropout?: 'validation' | 'fixed';
}

/**
 * The sweep U-Net's label map of the i-th evaluated test image, with the dropout it ran at and the training seconds of
 * the candidates taken from the journal (spent by an earlier, stopped run: the record's time includes them).
 */
export type SweepPredict = ((i: number) => Int32Array) & { dropout: number; resumedSeconds: number };

export interface SweepUnetRequest {
  config: SrnConfig;
  /** The labelled training subset of this point and draw. */
  train: SplitInfo;
  test: SplitInfo;
  /** Evaluated test views (file indices); predictions come in the order instance by instance, view by view. */
  evalViews: number[];
  /** Side at which predictions are scored. */
  side: number;
  /** The draw's seed (weights, batches and dropout masks follow it). */
  seed: number;
  /** SweepUnetOptions as found in the experiment config (validated here). */
  options: Record<string, unknown>;
  /** Training progress lines (each dropout of the grid is a stage of its own). */
  onProgress?: ProgressCallback;
  /** Ctrl-C: training stops at its next step and this rejects (no predictor from a part-trained U-Net). */
  signal?: AbortSignal;
  /**
   * Where the dropout search keeps its finished candidates (UnetGridJournal), so that a stopped record resumes at the
   * next candidate; `fingerprint` names the run it belongs to (the U-Net's recipe and the subset are added here).
   */
  journal?: { dir: string; fingerprint: unknown };
  /** One-line messages (a resumed or set-aside dropout search). */
  log?: (line: string) => void;
}

/** The baseline config the sweep's U-Net trains with, for an SRN preset name and the experiment's `unet` options. */
export function sweepUnetConfig(srnPreset: string, options: Record<string, unknown>): BaselineConfig {
  for (const k of Object.keys(options)) {
    if (k !== 'preset' && k !== 'overrides' && k !== 'dropout') throw new Error(`unet.${k}: unknown option (expected preset, overrides, dropout)`);
  }
  const o = options as SweepUnetOptions;
  if (o.dropout !== undefined && o.dropout !== 'validation' && o.dropout !== 'fixed') {
    throw new Error(`unet.dropout: expected 'validation' or 'fixed', got ${JSON.stringify(o.dropout)}`);
  }
  if (o.preset !== undefined && typeof o.preset !== 'string') throw new Error(`unet.preset: expected a baseline preset name, got ${JSON.stringify(o.preset)}`);
  // The baselines' preset of the same name (tiny, cpu, cpu64, paper); paper-released trains the paper's U-Net.
  const preset = o.preset ?? ((BASELINE_PRESET_NAMES as readonly string[]).includes(srnPreset) ? srnPreset : 'paper');
  return baselineConfig(preset, o.overrides ?? {});
}

/** Trains the sweep's U-Net on `train` and returns the label map of the i-th evaluated test image. */
export async function sweepUnet(req: SweepUnetRequest): Promise<SweepPredict> {
  const cfg = sweepUnetConfig(req.config.preset, req.options);
  const C = req.train.numClasses;
  const S = cfg.unet.side;
  const cache = new ViewCache(256 * 2 ** 20);
  // Synthetic data: runLabelCountSweep generates the val split (cfg.data.valInstances objects) with the rest.
  const v = openSplit(req.train.root, req.train.className, 'val', { maxInstances: cfg.data.valInstances });
  const nv = Math.min(...v.instances.map((i) => i.views.length), cfg.data.valViews);
  const val = splitImageSet(subsetSplit(v, { views: Array.from({ length: nv }, (_, k) => k) }), S, undefined, cache);
  const train = splitImageSet(req.train, S, undefined, cache);
  const fewShot = { ...cfg.unet.fewShot, batchSize: Math.min(cfg.unet.fewShot.batchSize, train.size) };
  const seed = `${cfg.seed}/sweep/${req.seed}`;
  let net: Unet2d;
  let dropout = cfg.unet.dropout;
  let resumedSeconds = 0;
  if ((req.options as SweepUnetOptions).dropout === 'fixed') {
    net = new Unet2d(unetArch(cfg.unet, C, cfg.unet.dropout), seed);
    await trainUnet2d(net, fewShot, train, val, C, `${seed}/fewshot`, { stage: `sweep-unet ${train.size} images`, onProgress: req.onProgress, signal: req.signal });
  } else {
    const unet = { ...cfg.unet, fewShot };
    const subset = req.train.instances.map((i) => [i.id, i.views.length]);
    const journal = req.journal ? new UnetGridJournal<UnetTrainResult>(req.journal.dir, { run: req.journal.fingerprint, unet, reflectPadGrad: REFLECT_PAD_GRAD_VERSION, seed, subset, valSize: val.size }) : undefined;
    if (journal && req.log) journal.resumeLines(unet.fewShot.dropoutGrid.length).forEach(req.log);
    const best = await trainFewShotUnet(unet, train, val, C, seed, { onProgress: req.onProgress, signal: req.signal, journal });
    resumedSeconds = best.resumedSeconds;
    net = best.net;
    dropout = best.dropout;
  }
  if (req.signal?.aborted) {
    net.dispose();
    throw new Error(`interrupted while training the sweep's U-Net on ${train.size} labelled image(s) (seed ${req.seed}): nothing is scored from a part-trained U-Net; rerun the same command to go on (finished records are kept)`);
  }
  try {
    const labels: Int32Array[] = [];
    req.test.instances.forEach((inst, pos) => {
      const images = viewPositions(inst, req.evalViews).map((p) => loadView(req.test, pos, p, S, { skipDepth: true, skipLabels: true }).rgba);
      for (const l of predictLabels(net, images, S)) labels.push(nearestResizeLabels(l, S, req.side));
    });
    const predict = (i: number) => {
      if (i < 0 || i >= labels.length) throw new Error(`sweepUnet: image ${i} outside [0, ${labels.length})`);
      return labels[i];
    };
    return Object.assign(predict, { dropout, resumedSeconds });
  } finally {
    net.dispose();
  }
}
