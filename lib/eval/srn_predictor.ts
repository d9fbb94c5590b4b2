/**
 * The SRN+head predictor for the evaluation runner: fits a fresh latent code to the protocol's observed
 * views (RGB only, as §4.4; every model weight frozen) with `fitLatentCodes` — objectsPerStep instances
 * at a time, each still its own fit — then renders every requested view with the given segmentation head (§4.6).
 */
import type { SegHeadKind, SrnConfig } from '../config/types';
import type { SplitInfo } from '../data/types';
import { loadView } from '../data/view_loader';
import type { SrnModel } from '../srn/model';
import { renderViews, type RenderedView } from '../srn/render';
import { fitLatentCodes, type LatentFitOptions } from '../training/stages';
import { progressInfo, type ProgressCallback } from '../training/progress';
import type { ObservedView } from '../training/data';
import { CodeJournal, fitUsesHeads } from './code_journal';
import type { Predictor, PredictorContext } from './runner';

/** The SRN predictor, with what its predictions depend on (for the evaluation's journal). */
export type SrnPredictor = Predictor & {
  /** Weights (heads included), seed and fit and render settings; computed once, on first call. */
  fingerprint(): unknown;
};

export interface SrnPredictorOptions {
  /** Head used for labels (default 'linear'). */
  head?: SegHeadKind;
  /** Side the code is fitted at (default config.training.latentFit.side). */
  fitSide?: number;
  /** Options passed to fitLatentCodes (metrics, step cap; its onProgress reports each group's fit alone). */
  fit?: LatentFitOptions;
  /**
   * Progress of the whole split's fits as one loop, in object-steps (instances × fit steps), timed from the
   * first fit so that rendering and scoring are inside the rate: its ETA is the evaluation's.
   */
  onProgress?: ProgressCallback;
  /** Stage name in those progress reports (default 'eval'). */
  progressStage?: string;
  /**
   * Journal of fitted codes (written atomically as each group's fits end), so that a rerun of an interrupted
   * evaluation refits nothing it had fitted: keyed by the SRN's weights, seed, fit settings, observed views and the
   * split's objects; a journal of another configuration is set aside. The caller removes it once results exist.
   */
  codeJournal?: string;
  /** Called with each instance's fitted code, renders and fit seconds (e.g. for figures or point clouds). */
  onRendered?: (info: { position: number; code: Float32Array; views: RenderedView[]; viewPositions: number[]; fitSeconds: number; renderSeconds: number }) => void;
}

/** The journals of a resumable SRN evaluation whose results go to `resultsPath`: scored instances and fitted codes. */
export function evalJournalPaths(resultsPath: string): { scores: string; codes: string } {
  const base = resultsPath.replace(/\.json$/, '');
  return { scores: `${base}.partial.json`, codes: `${base}.codes.partial.json` };
}

export function isSrnPredictor(p: Predictor): p is SrnPredictor {
  return typeof (p as Partial<SrnPredictor>).fingerprint === 'function';
}

export function srnPredictor(config: SrnConfig, model: SrnModel, opts: SrnPredictorOptions = {}): SrnPredictor {
  const head = opts.head ?? 'linear';
  const fitSide = opts.fitSide ?? config.training.latentFit.side;
  const perStep = opts.fit?.objectsPerStep ?? config.training.latentFit.objectsPerStep;
  // Codes fitted ahead for the next instances of the split (objectsPerStep at a time), by position.
  const fitted = new Map<number, { code: Float32Array; fitSeconds: number }>();
  const fitSteps = Math.min(config.training.latentFit.steps, opts.fit?.maxSteps ?? Infinity);
  let firstFitAt: number | undefined;
  // Object-steps fitted by this process: the rate excludes codes a resumed evaluation took from its journal, whose
  // steps counted as done at once made the ETA minutes where it was the better part of an hour.
  let fittedHere = 0;
  const splitProgress = (ctx: PredictorContext): LatentFitOptions['onProgress'] => {
    const report = opts.onProgress;
    if (!report) return opts.fit?.onProgress ?? false;
    const start = (firstFitAt ??= performance.now());
    const before = fittedHere;
    // The group starts at ctx.position and every earlier instance was fitted (or journalled) before it.
    return (p) => {
      const step = ctx.position * fitSteps + p.step;
      const info = progressInfo(opts.progressStage ?? 'eval', 'object-steps', step, ctx.split.instances.length * fitSteps, before + p.step, (performance.now() - start) / 1000);
      report(p.loss !== undefined ? { ...info, loss: p.loss } : info);
    };
  };
  const observed = (ctx: PredictorContext): ObservedView[] =>
    ctx.observedViews.map((p) => ({
      instanceIndex: 0,
      viewIndex: p,
      view: fitSide === ctx.side ? ctx.loadView(p) : loadAt(ctx.split, ctx.position, p, fitSide),
    }));
  const settings = {
    seed: config.seed,
    latentFit: config.training.latentFit,
    fit: { maxSteps: opts.fit?.maxSteps ?? null, objectsPerStep: perStep, target: opts.fit?.target ?? 'rgb', head: opts.fit?.head ?? null, weights: opts.fit?.weights ?? null },
    fitSide,
  };
  let fingerprint: unknown;
  const fingerprintOf = () => (fingerprint ??= { weights: model.digest({ heads: true }), head, ...settings, inference: config.inference });
  let journal: CodeJournal | undefined;
  const journalFor = (ctx: PredictorContext) => {
    if (!opts.codeJournal || journal) return journal;
    const fingerprint = { weights: model.digest({ heads: fitUsesHeads(config, opts.fit) }), ...settings, observedViews: ctx.protocol.observedViews };
    return (journal = new CodeJournal(opts.codeJournal, fingerprint, ctx.split));
  };
  const predictor = async (_instance: Parameters<Predictor>[0], viewPositions: number[], ctx: PredictorContext) => {
    const kept = fitted.has(ctx.position) ? undefined : journalFor(ctx)?.get(ctx.position);
    if (kept) fitted.set(ctx.position, kept);
    if (!fitted.has(ctx.position)) {
      const group = ctx.following(perStep).filter((c) => !journal?.get(c.position));
      const t = performance.now();
      const { codes } = await fitLatentCodes(config, model, group.map(observed), {
        ...opts.fit,
        onProgress: splitProgress(ctx),
        seedKeys: group.map((c) => c.position),
      });
      fittedHere += group.length * fitSteps;
      // A stopped fit (the CLI's Ctrl-C) returns codes part-way: scoring them would write results that look finished.
      if (opts.fit?.signal?.aborted) throw new Error(`interrupted while fitting test object ${ctx.position + 1} of ${ctx.split.instances.length}: nothing is scored from part-fitted codes; rerun the same command to go on (finished stages and checkpoints are kept)`);
      // Seconds per object: the group's fit time shared equally.
      const fitSeconds = (performance.now() - t) / 1000 / group.length;
      group.forEach((c, k) => {
        fitted.set(c.position, { code: codes[k], fitSeconds });
        journal?.add(c.position, codes[k], fitSeconds);
      });
    }
    const { code, fitSeconds } = fitted.get(ctx.position)!;
    fitted.delete(ctx.position);
    const gts = viewPositions.map((p) => ctx.loadView(p));
    const t = performance.now();
    const views = renderViews(model, code, gts.map((g) => g.pose), gts[0].intrinsics, {
      side: ctx.side,
      chunkRays: config.inference.chunkRays,
      head,
    });
    const renderSeconds = (performance.now() - t) / 1000;
    opts.onRendered?.({ position: ctx.position, code, views, viewPositions, fitSeconds, renderSeconds });
    return { labels: views.map((v) => v.labels!), rgba: views.map((v) => v.rgba) };
  };
  return Object.assign(predictor, { fingerprint: fingerprintOf });
}

function loadAt(split: SplitInfo, position: number, view: number, side: number) {
  return loadView(split, position, view, side, { skipDepth: true });
}
