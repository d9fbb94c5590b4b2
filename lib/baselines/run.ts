/**
 * One baseline end to end: data (built-in synthetic set generated if absent), training, evaluation through
 * the shared runner and metrics (results.json of the same shape as SRN+linear's), tracker logging.
 * Kinds: 'tco' (TCO+linear, single view), 'unet-oracle', 'unet-fewshot', 'srn-unet' (end-to-end semantic SRN
 * with the feature U-Net head, single + multi view: Table 1 columns 4–5) and 'srn-render-unet' (a 2-D U-Net on the
 * semantic SRN's rendered RGB, the supplement's meaning; no Table 1 column).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, type BackendReport } from '../backend/select';
import { SINGLE_VIEW_INDEX } from '../config/defaults';
import { presetConfig } from '../config/presets';
import type { DeepPartial } from '../config/types';
import { subsetSplit } from '../data/split';
import type { SplitInfo } from '../data/types';
import { loadView, ViewCache } from '../data/view_loader';
import { evalMetrics, evaluate, formatResults, writeResultsJson, type EvalResults, type Predictor } from '../eval/runner';
import { evalJournalPaths, isSrnPredictor, srnPredictor, type SrnPredictor } from '../eval/srn_predictor';
import { table1Entry, type Table1ColumnId } from '../eval/table1';
import { UNET_CODE, UNET_KINDS } from '../eval/result_code';
import { majorityForegroundClass } from '../eval/trivial';
import { writeComparisonGrid } from '../plotting/comparison_grid';
import { prepareSplits } from '../pipeline/data';
import { ensureSemantic, type StageData } from '../pipeline/stage_cache';
import { drawFewShot } from '../pipeline/few_shot';
import { REFLECT_PAD_GRAD_VERSION } from '../srn/reflect_pad';
import { renderViews } from '../srn/render';
import { stderrProgress, type ProgressCallback } from '../training/progress';
import { createTracker, NullTracker } from '../tracking/create_tracker';
import { numericMetrics } from '../tracking/metric_record';
import type { RunHandle, Tracker } from '../tracking/types';
import { writeJsonAtomic } from '../util/atomic_write';
import type { BaselineConfig } from './config';
import { BASELINE_RESULT_FILES, baselineRunConfig, baselineRunDir, type BaselineKind } from './finished_baseline';
import { TcoNet } from './tco';
import { fitTcoProbe, pretrainTco, tcoArch, tcoPredictor } from './tco_train';
import { Unet2d } from './unet2d';
import { UnetGridJournal } from './unet_grid_journal';
import { NetTrainCheckpoint, trainingFinished } from './net_train_checkpoint';
import { memoryImageSet, predictLabels, splitImageSet, trainFewShotUnet, trainUnet2d, unetArch, unetPredictor, type ImageSet, type LabelledImage, type UnetTrainResult } from './unet_train';
import { mean, nearestResizeLabels } from './util';

export interface BaselineRunOptions {
  kind: BaselineKind;
  preset?: string;
  /** Config overrides on top of the preset. */
  overrides?: DeepPartial<BaselineConfig>;
  seed?: number;
  /** Dataset root (generated here if absent). */
  data?: string;
  out?: string;
  name?: string;
  /** Resolution of generated data (default 64). */
  resolution?: number;
  /** The backend the caller selected, for results.json (runBaseline never switches backends); default the current one. */
  backend?: BackendReport;
  trackingUri?: string;
  track?: boolean;
  quiet?: boolean;
  /** For tests: an in-memory tracker. */
  tracker?: Tracker;
  /** Open the run as a child of this one (an experiment's or a comparison's parent run). */
  parentRun?: string | RunHandle;
  /**
   * srn-unet, srn-render-unet: the folder of cached trained stages; its semantic SRN is trained (resumably) or reused under
   * `<dir>/semantic/`, shared with mask reconstruction. Default: `out` (`runs`).
   */
  stageRunsDir?: string;
  /**
   * srn-unet, srn-render-unet: the seed of the semantic SRN's training (default: `seed`). Experiments pass their pre-training seed so
   * that replicate seeds share one semantic SRN, as SRN+linear's replicates share one pre-training; the replicate
   * seed still drives the code fits and the U-Net on rendered RGB.
   */
  semanticSeed?: number;
  /**
   * Aborts srn-unet's semantic SRN after its current step, with a checkpoint to resume from, or its code fits, with
   * the objects scored so far journalled (a CLI's SIGINT).
   */
  signal?: AbortSignal;
}

export interface BaselineRunSummary {
  kind: BaselineKind;
  runDir: string;
  /** results.json paths by method (srn-unet writes several). */
  results: Record<string, string>;
  scores: Record<string, { mIOU: number; shapeMIOU: number; seconds: number }>;
  totalSeconds: number;
  /** The tracking run this baseline logged to. */
  tracking: { uri: string; runId: string; experimentId: string };
}

/** Test objects with a qualitative figure per evaluation. */
const FIGURE_INSTANCES = 3;

/** The Table 1 column each baseline's (method, protocol) fills; the U-Net on SRN renders is none. */
const TABLE1_COLUMN_OF: Record<string, Table1ColumnId> = {
  'tco+linear/single': 'tco-linear',
  'unet-30shot/single': 'unet-30shot',
  'unet-oracle/single': 'unet-oracle',
  'srn+unet/single': 'srn-unet-single',
  'srn+unet/multi': 'srn-unet-multi',
};

/** The folder under `<run>/renders/` of one evaluation's qualitative figures ('srn+unet', 'multi' → 'srn_unet-multi'). */
export function rendersFolder(method: string, protocol: string): string {
  return `${method}-${protocol}`.replace(/[^\w\-.]/g, '_');
}

/** The caller's backend for results files, else what TF.js runs on now. */
function backendRecord(b: BackendReport | undefined): Record<string, unknown> {
  return b ? { ...b, description: describeBackend(b) } : { tfBackend: tf.getBackend() ?? 'none' };
}

export async function runBaseline(opts: BaselineRunOptions): Promise<BaselineRunSummary> {
  const t0 = performance.now();
  const secs = (from: number) => (performance.now() - from) / 1000;
  const log = (m: string) => (opts.quiet ? undefined : console.error(`[baseline ${opts.kind}] ${m}`));
  const progress = opts.quiet ? undefined : stderrProgress(10000);
  const { preset, cfg } = baselineRunConfig(opts);
  const backend = backendRecord(opts.backend);

  // ---- data
  const nTrain = cfg.data.maxTrainInstances ?? undefined;
  const nTest = cfg.data.maxTestInstances ?? undefined;
  const needVal = opts.kind === 'unet-fewshot' || opts.kind === 'unet-oracle' || opts.kind === 'srn-render-unet';
  // Generated only where there is no data or generated data (never into a real dataset); unbounded splits open
  // whatever is there, and a missing generated set gets the default 50 / 10 objects.
  const dataRoot = resolve(opts.data ?? '.cache/data');
  const data = await prepareSplits({
    root: dataRoot,
    className: cfg.data.className,
    train: nTrain,
    test: nTest,
    ...(needVal ? { val: cfg.data.valInstances } : {}),
    generate: { train: nTrain ?? 50, test: nTest ?? 10 },
    resolution: opts.resolution,
  });
  const dataSeconds = data.seconds;
  let t = performance.now();
  const train = data.train;
  const test = data.test;
  const valSplit = (): SplitInfo => {
    const v = data.val!;
    const nv = Math.min(...v.instances.map((i) => i.views.length), cfg.data.valViews);
    return subsetSplit(v, { views: Array.from({ length: nv }, (_, k) => k) });
  };
  const C = train.numClasses;
  const cache = new ViewCache(1024 * 2 ** 20);

  const runDir = baselineRunDir(opts);
  mkdirSync(runDir, { recursive: true });
  const tracker = opts.tracker ?? (opts.track === false ? new NullTracker() : createTracker(opts.trackingUri ? { uri: opts.trackingUri } : {}));
  const run: RunHandle = await tracker.startRun({
    name: opts.name ?? `baseline-${opts.kind}`,
    parent: opts.parentRun,
    tags: { command: 'baseline', baseline: opts.kind, preset, backend: opts.backend?.chosen ?? tf.getBackend() ?? 'none' },
    params: { baseline: cfg, data: { root: dataRoot, train: train.instances.length, test: test.instances.length } },
  });
  const summary: BaselineRunSummary = { kind: opts.kind, runDir, results: {}, scores: {}, totalSeconds: 0, tracking: { uri: tracker.uri, runId: run.runId, experimentId: run.experimentId } };
  let ok = false;
  const timings: Record<string, number> = { dataSeconds };

  /** The 30 labelled images of SRN+linear: the SRN preset's few-shot rule with the same seed and side. */
  const fewShotRefs = () => {
    const srn = presetConfig(cfg.srnPreset, { seed: cfg.seed, data: { fewShot: { seed: cfg.seed } } });
    const d = drawFewShot(srn, train, (m) => log(`warning: ${m}`));
    const refs = d.sel.positions.flatMap((pos) => d.views.map((v) => ({ instance: pos, view: v })));
    return { refs, instanceIds: d.sel.instanceIds, method: d.sel.method, views: d.views };
  };

  // MLflow keys allow letters, digits, '_', '-', '.', ' ', '/': 'tco+linear' → 'tco_linear'.
  const mkey = (m: string) => m.replace(/[^\w\-. /]/g, '_');
  const evalOne = async (method: string, protocol: 'single' | 'multi', predictor: Predictor, majority: number | undefined, extra: Record<string, unknown>, file: string = BASELINE_RESULT_FILES[opts.kind][0]) => {
    const column = TABLE1_COLUMN_OF[`${method}/${protocol}`];
    const te = performance.now();
    const rendersDir = join(runDir, 'renders', rendersFolder(method, protocol));
    const renders: string[] = [];
    // SRN predictions (fits of minutes an object) are journalled, so that an interrupted evaluation resumes; the
    // journals stay until the whole kind has finished: a rerun after a stop in the multi-view pass takes the
    // single-view one from its journal in seconds.
    const journals = evalJournalPaths(join(runDir, file));
    const results: EvalResults = await evaluate({
      split: test,
      side: cfg.data.evalSide,
      protocol,
      predictor,
      method,
      majorityClass: majority,
      cache,
      backend,
      config: { baselinePreset: preset, baseline: cfg },
      ...(isSrnPredictor(predictor) ? { journal: { path: journals.scores, fingerprint: predictor.fingerprint(), keep: true } } : {}),
      onJournal: ({ resumed, path, setAside }) =>
        log(setAside ? `eval ${method} (${protocol}): a journal of another configuration set aside as ${setAside}` : `eval ${method} (${protocol}): resuming with ${resumed} object(s) scored before (${path})`),
      onProgress: (p) => {
        log(`eval ${method}: ${p.instance}/${p.instances} objects, running mIOU ${(100 * p.mIOU).toFixed(1)}%`);
        run.logMetric(`eval/${mkey(method)}/${protocol}/running_mIOU`, p.mIOU, p.instance);
      },
      // Qualitative figures of the first test objects, as SRN+linear's: the observed view (65 in the single-view
      // protocol) and four evaluated views spread over the orbit. The U-Nets (labels only) see each view's own
      // ground-truth RGB, so their figures have no input column.
      onInstance: ({ position, instance, viewPositions, prediction, gt }) => {
        if (position >= FIGURE_INSTANCES) return;
        const obs = Math.max(0, viewPositions.findIndex((p) => (instance.views[p].index ?? p) === SINGLE_VIEW_INDEX));
        const n = viewPositions.length;
        const rows = [...new Set([0, 1, 2, 3].map((i) => Math.floor((i * n) / 4)))].map((k) => ({
          predRgba: prediction.rgba?.[k], gtRgba: gt[k].rgba, predLabels: prediction.labels[k], gtLabels: gt[k].labels!,
        }));
        mkdirSync(rendersDir, { recursive: true });
        const png = join(rendersDir, `test_${String(position).padStart(2, '0')}_${instance.id.slice(0, 8)}.png`);
        const smoke = preset === 'tiny' ? ', tiny preset: smoke test' : '';
        writeComparisonGrid(png, { inputRgba: prediction.rgba ? gt[obs].rgba : undefined, rows, numClasses: test.numClasses, classNames: test.classNames, title: `${method} (${protocol}${smoke}): ${instance.id.slice(0, 8)}` });
        renders.push(png);
      },
    });
    for (const png of renders) await run.logArtifact(png, `renders/${mkey(method)}`);
    // Objects scored in an earlier sitting (an interrupted run's journal) count with the seconds they took then.
    const evalSeconds = secs(te) + results.timings.resumedSeconds;
    const path = join(runDir, file);
    const table1 = column ? { table1: table1Entry(column, { ...results, className: results.dataset.className, scale: preset, seed: cfg.seed }) } : {};
    // The code versions a trained U-Net's numbers depend on (a later run reuses these results only while they hold).
    const code = UNET_KINDS.includes(opts.kind) ? { codeVersions: { ...UNET_CODE } } : {};
    const full = { ...results, timings: { ...results.timings, ...timings, evalSeconds, totalSeconds: secs(t0) + results.timings.resumedSeconds }, ...extra, ...code, ...table1, tracking: { uri: tracker.uri, runId: run.runId } };
    writeResultsJson(path, full);
    run.logMetrics(evalMetrics(results, `eval/${mkey(method)}/${protocol}/`, { perClass: true }));
    await run.logArtifact(path);
    const key = protocol === 'single' ? method : `${method} (${protocol})`;
    summary.results[key] = path;
    summary.scores[key] = { mIOU: results.mIOU, shapeMIOU: results.shapeMIOU, seconds: secs(t0) };
    if (!opts.quiet) console.log(formatResults(results));
    return results;
  };

  try {
    if (opts.kind === 'tco') {
      const net = new TcoNet(tcoArch(cfg.tco), cfg.seed);
      log(`TCO ${cfg.tco.side}² (${cfg.tco.depth ? 'RGB+D' : 'RGB'}), ${net.parameterCount().toLocaleString('en')} parameters`);
      t = performance.now();
      // Saved every TCO_SAVE_EVERY steps and at a stop: a stopped run goes on from its last save.
      const ck = new NetTrainCheckpoint(join(runDir, 'tco-train', 'pretrain'), { kind: 'tco', tco: cfg.tco, seed: cfg.seed, instances: train.instances.length, data: { root: dataRoot, version: data.dataVersion } });
      ck.resumeLines('TCO pre-training').forEach(log);
      const resumed = ck.saved?.seconds ?? 0;
      const pre = await pretrainTco(cfg.tco, net, train, cfg.seed, { cache, onProgress: progress, onMetrics: (s, r) => run.logMetrics(numericMetrics(r, 'tco_pretrain/'), s), signal: opts.signal, checkpoint: ck });
      if (pre.aborted) {
        net.dispose();
        throw new Error(`interrupted while pre-training TCO (${ck.saved ? `saved at step ${ck.saved.step}: a rerun goes on from there` : 'nothing saved yet'}); nothing is scored from a part-trained net`);
      }
      timings.pretrainSeconds = secs(t) + resumed;
      log(`pre-training: ${pre.steps} steps in ${timings.pretrainSeconds.toFixed(0)} s, loss ${mean(pre.history.slice(0, 20)).toFixed(4)} → ${mean(pre.history.slice(-20)).toFixed(4)}`);
      t = performance.now();
      const fs = fewShotRefs();
      const probe = await fitTcoProbe(cfg.tco, net, train, fs.refs, cfg.seed, { cache, onProgress: progress, onMetrics: (s, r) => run.logMetrics(numericMetrics(r, 'tco_probe/'), s), signal: opts.signal });
      if (probe.aborted) {
        probe.head.dispose();
        net.dispose();
        throw new Error('interrupted while fitting the TCO probe (the pre-training is saved: a rerun fits the probe again, ~2 min at 64²); nothing is scored');
      }
      timings.probeSeconds = secs(t);
      const majority = majorityForegroundClass(fs.refs.map((r) => loadView(train, r.instance, r.view, cfg.tco.side, { skipDepth: true }).labels!), C);
      await evalOne('tco+linear', 'single', tcoPredictor(cfg.tco, net, probe.head), majority, {
        training: {
          parameters: net.parameterCount(),
          pretrainSteps: pre.steps,
          pretrainLoss: { first20: mean(pre.history.slice(0, 20)), last20: mean(pre.history.slice(-20)) },
          probeSteps: probe.steps,
          probeLoss: { first20: mean(probe.history.slice(0, 20)), last20: mean(probe.history.slice(-20)) },
          fewShot: { instances: fs.instanceIds, views: fs.views, method: fs.method, images: fs.refs.length, probeInputs: probe.inputs },
        },
      });
      probe.head.dispose();
      net.dispose();
      ck.remove();
    } else if (opts.kind === 'unet-oracle' || opts.kind === 'unet-fewshot') {
      const S = cfg.unet.side;
      const val = splitImageSet(valSplit(), S, undefined, cache);
      t = performance.now();
      let net;
      let grid: UnetGridJournal<UnetTrainResult> | undefined;
      let ck: NetTrainCheckpoint | undefined;
      // Seconds an earlier, stopped run trained (dropout candidates, oracle steps): the training time includes them.
      let resumedSeconds = 0;
      let training: Record<string, unknown>;
      let majority: number;
      if (opts.kind === 'unet-oracle') {
        net = new Unet2d(unetArch(cfg.unet, C), cfg.seed);
        const set = splitImageSet(train, S, undefined, cache);
        log(`U-Net oracle: ${net.parameterCount().toLocaleString('en')} parameters, ${set.size} training images at ${S}²`);
        // Saved at every validation: a stopped run goes on from its last one.
        ck = new NetTrainCheckpoint(join(runDir, 'unet-train', 'oracle'), { kind: 'unet-oracle', unet: cfg.unet, reflectPadGrad: REFLECT_PAD_GRAD_VERSION, seed: cfg.seed, images: set.size, valSize: val.size, data: { root: dataRoot, version: data.dataVersion } });
        ck.resumeLines('oracle U-Net').forEach(log);
        resumedSeconds = ck.saved?.seconds ?? 0;
        const r = await trainUnet2d(net, cfg.unet.oracle, set, val, C, cfg.seed, { stage: 'unet-oracle', onProgress: progress, onMetrics: (s, rec) => run.logMetrics(numericMetrics(rec, 'unet/'), s), signal: opts.signal, checkpoint: ck });
        training = { parameters: net.parameterCount(), images: set.size, ...omitHistory(r), lossFirst20: mean(r.history.slice(0, 20)), lossLast20: mean(r.history.slice(-20)) };
        majority = majorityForegroundClass(Array.from({ length: Math.min(set.size, 500) }, (_, i) => set.get(i).labels), C);
      } else {
        const fs = fewShotRefs();
        const set = splitImageSet(train, S, fs.refs, cache);
        // The dropout search (three U-Nets) is journalled per candidate: a stopped run resumes at the next one.
        grid = new UnetGridJournal<UnetTrainResult>(join(runDir, 'unet-grid', 'fewshot'), { unet: cfg.unet, reflectPadGrad: REFLECT_PAD_GRAD_VERSION, seed: cfg.seed, refs: fs.refs, instances: fs.instanceIds, valSize: val.size, data: { root: dataRoot, version: data.dataVersion } });
        grid.resumeLines(cfg.unet.fewShot.dropoutGrid.length).forEach(log);
        const r = await trainFewShotUnet(cfg.unet, set, val, C, cfg.seed, { onProgress: progress, onMetrics: (s, rec) => run.logMetrics(numericMetrics(rec, 'unet/'), s), signal: opts.signal, journal: grid });
        resumedSeconds = r.resumedSeconds;
        net = r.net;
        log(`30-shot U-Net: dropout ${r.dropout} chosen on val (${r.grid.map((g) => `${g.dropout}: ${((g.bestValMIOU ?? 0) * 100).toFixed(1)}%`).join(', ')})`);
        training = {
          parameters: net.parameterCount(), images: set.size, chosenDropout: r.dropout, grid: r.grid, ...omitHistory(r.train),
          fewShot: { instances: fs.instanceIds, views: fs.views, method: fs.method },
        };
        majority = majorityForegroundClass(fs.refs.map((_, i) => set.get(i).labels), C);
      }
      if (opts.signal?.aborted) {
        net.dispose();
        throw new Error(`interrupted while training the ${opts.kind === 'unet-oracle' ? `oracle U-Net (${ck?.saved ? `saved at step ${ck.saved.step}: a rerun goes on from there` : 'nothing saved yet'})` : '30-shot U-Net (finished dropout candidates are journalled: a rerun goes on from them)'}; nothing is scored from a part-trained U-Net`);
      }
      timings.trainSeconds = secs(t) + resumedSeconds;
      await evalOne(opts.kind === 'unet-oracle' ? 'unet-oracle' : 'unet-30shot', 'single', unetPredictor(net, { side: S }), majority, { training, oracleInput: 'ground-truth RGBA of every test view' });
      net.dispose();
      grid?.remove();
      ck?.remove();
    } else {
      const c: SrnUnetContext = {
        train,
        test,
        log,
        progress,
        run,
        evalOne,
        timings,
        codeJournal: (file) => evalJournalPaths(join(runDir, file)).codes,
        runDir,
        stage: { root: dataRoot, train, dataVersion: data.dataVersion },
        stageRunsDir: resolve(opts.stageRunsDir ?? opts.out ?? 'runs'),
        semanticSeed: opts.semanticSeed ?? cfg.seed,
        signal: opts.signal,
      };
      if (opts.kind === 'srn-unet') await runSrnUnet(cfg, c);
      else await runSrnRenderUnet(cfg, { ...c, val: valSplit() });
    }
    for (const file of BASELINE_RESULT_FILES[opts.kind]) for (const j of Object.values(evalJournalPaths(join(runDir, file)))) rmSync(j, { force: true });
    ok = true;
  } finally {
    await run.end(ok ? 'FINISHED' : 'FAILED');
    if (!opts.tracker) await tracker.close();
  }
  summary.totalSeconds = secs(t0);
  writeJsonAtomic(join(runDir, 'summary.json'), summary);
  return summary;
}

function omitHistory<T extends { history: number[] }>(r: T): Omit<T, 'history'> {
  const { history: _h, ...rest } = r;
  return rest;
}

interface SrnUnetContext {
  train: SplitInfo;
  test: SplitInfo;
  log: (m: string) => void;
  progress?: ProgressCallback;
  run: RunHandle;
  evalOne: (method: string, protocol: 'single' | 'multi', p: Predictor, majority: number | undefined, extra: Record<string, unknown>, file?: string) => Promise<EvalResults>;
  timings: Record<string, number>;
  /** Where the code-fit journal of an evaluation writing `file` goes (removed with its results). */
  codeJournal: (file: string) => string;
  /** The run's folder (the U-Net on renders saves its training under it). */
  runDir: string;
  stage: StageData;
  stageRunsDir: string;
  semanticSeed: number;
  signal?: AbortSignal;
}

/**
 * The fully supervised semantic SRN both SRN+U-Net kinds use: the cached training of `semanticSeed` (trained or
 * resumed first if unfinished), with the replicate seed's config for the code fits.
 */
async function semanticSrn(cfg: BaselineConfig, c: SrnUnetContext) {
  // The class of the data it trains on, not the preset's (Chair): the manifest and PROVENANCE read it.
  const config = presetConfig(cfg.srnUnet.srnPreset, { seed: cfg.seed, data: { className: c.train.className }, model: { numClasses: c.train.numClasses } });
  const sem = await ensureSemantic({ ...config, seed: c.semanticSeed }, c.stage, { runsDir: c.stageRunsDir, run: c.run, log: c.log, stepProgress: c.progress ?? false, signal: c.signal });
  c.timings.semanticSeconds = sem.seconds;
  const training = { semanticSteps: sem.steps, semanticLossLast20: sem.lossLast20, semanticSeed: c.semanticSeed, semanticCheckpoint: sem.dir, semanticReused: sem.reused, srnPreset: cfg.srnUnet.srnPreset };
  // Code fits report progress as one loop per protocol (they take minutes a protocol at 64²).
  const fitProgress = (protocol: string) => (c.progress ? { onProgress: c.progress, progressStage: `srn+unet ${protocol}` } : {});
  return { config, model: sem.model, training, fitProgress };
}

/**
 * SRN+U-Net as the paper's main text means it (reference §8; Table 1 columns 4–5): the end-to-end semantic SRN
 * (trainSemantic, U-Net head), codes fitted from RGB (single view 65 / 50 views), labels from its head.
 */
async function runSrnUnet(cfg: BaselineConfig, c: SrnUnetContext): Promise<void> {
  const { config, model, training, fitProgress } = await semanticSrn(cfg, c);
  try {
    for (const [protocol, file] of [['single', BASELINE_RESULT_FILES['srn-unet'][0]], ['multi', BASELINE_RESULT_FILES['srn-unet'][1]]] as const) {
      // Ctrl-C stops the fit at its next step; the objects scored before it are in the journal.
      const fit = c.signal ? { fit: { signal: c.signal } } : {};
      await c.evalOne('srn+unet', protocol, srnPredictor(config, model, { head: 'unet', codeJournal: c.codeJournal(file), ...fit, ...fitProgress(protocol) }), undefined, { training }, file);
    }
  } finally {
    model.dispose();
  }
}

/**
 * SRN+U-Net as the Fig. 4 caption and supplement §3 mean it (reference §8; no Table 1 column): a 2-D U-Net trained
 * on the frozen semantic SRN's renders of training objects, applied to its renders of the test objects fitted from
 * one view.
 */
async function runSrnRenderUnet(cfg: BaselineConfig, c: SrnUnetContext & { val: SplitInfo }): Promise<void> {
  const side = cfg.data.evalSide;
  const S = cfg.unet.side;
  // The SRN renders at the evaluation side; the U-Net runs at its own side. Checked before anything is loaded.
  if (side !== S) throw new Error(`srn-render-unet: evaluation side ${side} must equal the U-Net side ${S}`);
  const { config, model, training, fitProgress } = await semanticSrn(cfg, c);
  const C = c.train.numClasses;
  const net = new Unet2d(unetArch(cfg.unet, C), cfg.seed);
  try {
    const views = c.train.instances.map((inst) => Math.min(cfg.srnUnet.renderViewsPerInstance, inst.views.length));
    const count = views.reduce((a, b) => a + b, 0);
    // Saved at every validation, at a stop and at its end.
    const ck = new NetTrainCheckpoint(join(c.runDir, 'unet-train', 'srn-rgb'), {
      kind: 'srn-render-unet', unet: cfg.unet, reflectPadGrad: REFLECT_PAD_GRAD_VERSION, rgbUnet: cfg.srnUnet.rgbUnet, renderViewsPerInstance: cfg.srnUnet.renderViewsPerInstance, seed: cfg.seed,
      semantic: { seed: c.semanticSeed, steps: training.semanticSteps }, images: count, data: { root: c.stage.root, version: c.stage.dataVersion },
    });
    // A finished saved training (a stop came in the evaluation) reads no training image: its renders (~2 min at 64²)
    // are skipped. Otherwise they are made again: they are the same.
    const saved = ck.saved;
    const images: LabelledImage[] = [];
    if (saved && trainingFinished(saved)) c.log('the U-Net on SRN renders finished training before: its training images are not rendered again');
    else {
      const t = performance.now();
      c.train.instances.forEach((inst, pos) => {
        const gts = Array.from({ length: views[pos] }, (_, v) => loadView(c.train, pos, v, S, { skipDepth: true }));
        const rendered = renderViews(model, model.latents.row(inst.index), gts.map((g) => g.pose), gts[0].intrinsics, { side: S, chunkRays: config.inference.chunkRays });
        rendered.forEach((v, k) => images.push({ rgba: v.rgba, labels: gts[k].labels! }));
      });
      c.timings.renderTrainSeconds = (performance.now() - t) / 1000;
    }
    const trainSet: ImageSet = images.length ? memoryImageSet(images, S) : { size: count, side: S, get: () => { throw new Error('srn-render-unet: a finished training read a training image'); } };
    ck.resumeLines('U-Net on SRN renders').forEach(c.log);
    const r = await trainUnet2d(net, cfg.srnUnet.rgbUnet, trainSet, splitImageSet(c.val, S), C, `${cfg.seed}/srn-rgb-unet`, { stage: 'srn-rgb-unet', onProgress: c.progress, signal: c.signal, checkpoint: ck });
    if (c.signal?.aborted) throw new Error(`interrupted while training the U-Net on SRN renders (${ck.saved ? `saved at step ${ck.saved.step}: a rerun goes on from there` : 'nothing saved yet'}); nothing is scored from a part-trained U-Net`);
    c.timings.rgbUnetSeconds = r.seconds;
    // Journalled and stoppable like SRN+U-Net's evaluation: the fitted codes (minutes an object) and the scored
    // objects, the latter keyed by the U-Net's weights too.
    const file = BASELINE_RESULT_FILES['srn-render-unet'][0];
    const fit = c.signal ? { fit: { signal: c.signal } } : {};
    const inner = srnPredictor(config, model, { head: 'unet', codeJournal: c.codeJournal(file), ...fit, ...fitProgress('single (rendered RGB)') });
    const rgbUnet = net.params.digest();
    const predictor: SrnPredictor = Object.assign(
      async (...[inst, vps, ctx]: Parameters<Predictor>) => {
        const p = await inner(inst, vps, ctx);
        const rgba = p.rgba!;
        return { labels: predictLabels(net, rgba, S).map((l) => nearestResizeLabels(l, S, ctx.side)), rgba };
      },
      { fingerprint: () => ({ srn: inner.fingerprint(), rgbUnet }) },
    );
    await c.evalOne('srn-render+unet2d', 'single', predictor, undefined, { training: { ...training, rgbUnet: { images: count, steps: r.steps, bestValMIOU: r.bestValMIOU } } }, file);
    ck.remove();
  } finally {
    net.dispose();
    model.dispose();
  }
}
