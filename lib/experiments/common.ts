/**
 * What every experiment shares: the dataset (generated if it is the built-in one), the SrnConfig of a
 * scale, a pre-trained model that is reused across experiments for the same (preset config, data,
 * seed), the linear probe on the few-shot labels (cached the same way), test-time code fitting, and
 * the tracking run. The experiment functions in this folder are built from these pieces; the CLI and
 * the notebooks call those functions.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SINGLE_VIEW_INDEX } from '../config/defaults';
import { presetConfig, scheduleSteps } from '../config/presets';
import { resolveConfig } from '../config/resolve';
import type { DeepPartial, SrnConfig } from '../config/types';
import { loadView, ViewCache } from '../data/view_loader';
import type { FewShotSelection } from '../data/sampler';
import type { SplitInfo } from '../data/types';
import { protocolSpec, viewPositions } from '../eval/protocols';
import { majorityForegroundClass } from '../eval/trivial';
import { CodeJournal, codeFitFingerprint } from '../eval/code_journal';
import { SrnModel } from '../srn/model';
import { fitLatentCodes, fitLinearProbe, pretrain } from '../training/stages';
import { splitSource, type ObservedView } from '../training/data';
import { findCheckpoint, loadCheckpoint, loadModelState, saveCheckpoint, versionMismatch } from '../training/checkpoint';
import { stderrProgress, type ProgressCallback } from '../training/progress';
import { createTracker, NullTracker } from '../tracking/create_tracker';
import { FAILURE_TAG } from '../tracking/lifecycle';
import type { RunHandle, Tracker } from '../tracking/types';
import { numericMetrics } from '../tracking/metric_record';
import { writeJsonAtomic } from '../util/atomic_write';
import { datasetClassFolder, prepareSplits } from '../pipeline/data';
import { drawFewShot, observedViews } from '../pipeline/few_shot';
import { SHIPPED_PRETRAINED_DIR } from '../pipeline/quickstart';
import { cachedStage, leaseCachedStage, stageDataKey, stageHash } from '../pipeline/stage_cache';
import { experimentsDir } from './config_loader';
import type { BaseScaleConfig, ExperimentConfig, ExperimentName } from './types';

/** How an experiment function is run (the same from the CLI, notebooks and tests). */
export interface ExperimentOptions {
  /** Where runs are logged (default: none). Pass `createTracker()` to log to MLflow. */
  tracker?: Tracker;
  /** Nest this experiment's run under a parent run (e.g. Table 1 runs its missing rows). */
  parentRun?: RunHandle;
  /** Runs folder: results under `<runsDir>/<experiment>/<scale>/`, shared pre-training under `<runsDir>/pretrain/` (default `runs`). */
  runsDir?: string;
  /** Overrides the config's data.root. */
  dataRoot?: string;
  /** One line per phase (default: none). */
  onProgress?: (message: string) => void;
  /** Per-step progress of the training loops (default: none). */
  stepProgress?: ProgressCallback | false;
  signal?: AbortSignal;
  /** Run again the seeds of a multi-seed run whose finished results.json has the same config (default: reuse them, finished_run.ts). */
  rerun?: boolean;
}

/**
 * Options for a notebook's experiment runs: a tracker on `trackingUri` (else the local store `localStore`), phase
 * lines printed in the cell, per-step progress on stderr every 30 s unless `quiet` (the CI small mode).
 */
export function notebookRunOptions(o: { trackingUri: string; runsDir: string; dataRoot: string; quiet: boolean; localStore?: string }): ExperimentOptions & { tracker: Tracker } {
  return {
    tracker: createTracker(o.trackingUri ? { uri: o.trackingUri } : { localStore: o.localStore ?? '../mlruns' }),
    runsDir: o.runsDir,
    dataRoot: o.dataRoot || undefined,
    onProgress: (m: string) => console.log(m),
    stepProgress: o.quiet ? false : stderrProgress(30000),
  };
}

/** Fields every experiment result has; build them with `experimentOutput`. */
export interface ExperimentOutput {
  experiment: ExperimentName;
  scale: string;
  /** `<runsDir>/<experiment>/<scale>`. */
  runDir: string;
  resultsPath: string;
  /** Figure files by name (PNG/SVG/HTML/GIF). */
  figures: Record<string, string>;
  /** Where the run was logged; experimentId '' without a tracker. */
  tracking: { uri: string; runId: string; experimentId?: string };
  seconds: number;
}

export interface PretrainInfo {
  /** Checkpoint folder (reused by later experiments with the same key). */
  dir: string;
  key: string;
  /** `<runsDir>/pretrain/<key>`: the probe cache and loss history live here. */
  cacheDir: string;
  reused: boolean;
  steps: number;
  seconds: number;
  /** Loss per step (kept next to the checkpoint, so reuse still shows the curve). */
  losses: number[];
}

export interface ProbeInfo {
  dir: string;
  reused: boolean;
  steps: number;
  seconds: number;
  losses: number[];
  images: number;
  instanceIds: string[];
  method: FewShotSelection['method'];
  allClassesRule: boolean;
  majorityClass: number;
}

export interface PreparedData {
  root: string;
  train: SplitInfo;
  test: SplitInfo;
  generatedSeconds: number;
  /** What checkpoints record as their training data (`synthetic-v<N>` or `external`). */
  dataVersion: string;
}

/** The fields every experiment result shares, built one way. */
export function experimentOutput(cfg: ExperimentConfig, runDir: string, figures: Record<string, string>, tracker: Tracker, run: RunHandle, t0: number): ExperimentOutput {
  return {
    experiment: cfg.experiment,
    scale: cfg.scale,
    runDir,
    resultsPath: join(runDir, 'results.json'),
    figures,
    tracking: { uri: tracker.uri, runId: run.runId, experimentId: run.experimentId },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Project root (the folder of `experiments/`); relative data roots are taken from here. */
export function projectRoot(): string {
  return dirname(experimentsDir());
}

export function say(opts: ExperimentOptions, msg: string): void {
  opts.onProgress?.(msg);
}

/**
 * The model/training config of a scale: preset + overrides + data caps (+ the dataset's class count), seeded with
 * the replicate seed (`cfg.seeds[0]`: few-shot draw, heads, fits). The pre-training is `cfg.seed`'s: pass that
 * to ensurePretrained.
 */
export function experimentSrnConfig(cfg: BaseScaleConfig, numClasses?: number): SrnConfig {
  const seed = replicateSeed(cfg);
  const fixed: DeepPartial<SrnConfig> = {
    seed,
    data: { className: datasetClassFolder(cfg.data.className), maxTrainInstances: cfg.data.train, maxTestInstances: cfg.data.test, fewShot: { seed } },
    ...(numClasses !== undefined ? { model: { numClasses } } : {}),
  };
  return resolveConfig(fixed, presetConfig(cfg.preset, cfg.overrides));
}

/** Opens (and for the built-in objects first generates) the train and test splits of a scale. */
export async function prepareData(cfg: BaseScaleConfig, opts: ExperimentOptions = {}, extra: { valInstances?: number } = {}): Promise<PreparedData> {
  const root = resolve(projectRoot(), opts.dataRoot ?? cfg.data.root);
  const d = await prepareSplits({
    root,
    className: cfg.data.className,
    train: cfg.data.train,
    test: cfg.data.test,
    ...(extra.valInstances ? { val: extra.valInstances } : {}),
    synthetic: cfg.data.synthetic,
    resolution: cfg.data.resolution,
    // Worker threads are not worth their start-up for a handful of objects.
    workers: cfg.data.train + cfg.data.test <= 6 ? 1 : undefined,
  });
  const made = d.generated.reduce((s, g) => s + g.generated, 0);
  if (made) say(opts, `data: generated ${made} objects under ${root} in ${d.seconds.toFixed(1)} s`);
  return { root, train: d.train, test: d.test, generatedSeconds: d.seconds, dataVersion: d.dataVersion };
}

/** The seed of this replicate (a config of several seeds is run one seed at a time, see runReplicates). */
export function replicateSeed(cfg: Pick<BaseScaleConfig, 'seed' | 'seeds'>): number {
  return cfg.seeds[0] ?? cfg.seed;
}

/** What identifies a pre-trained model: model + pre-training config, seed, and the exact training data. */
export function pretrainKey(config: SrnConfig, data: PreparedData): Record<string, unknown> {
  return {
    model: config.model,
    pretrain: config.training.pretrain,
    seed: config.seed,
    data: stageDataKey(data),
  };
}


/** Mean of the last `n` values (NaN for none). */
export function tailMean(xs: readonly number[], n = 20): number {
  const t = xs.slice(-n);
  return t.length ? t.reduce((a, b) => a + b, 0) / t.length : NaN;
}

/**
 * A pre-trained model for (config, data): loaded from `<runsDir>/pretrain/<preset>-<class>-s<seed>-<hash>/`
 * when a finished checkpoint is there, resumed when an unfinished one is, else trained and saved there.
 */
export async function ensurePretrained(
  replicateConfig: SrnConfig,
  data: PreparedData,
  opts: ExperimentOptions & { run?: RunHandle } = {},
  pretrainSeed = replicateConfig.seed,
): Promise<{ model: SrnModel; info: PretrainInfo }> {
  // Every replicate seed shares the one pre-training of `pretrainSeed`.
  const config = pretrainSeed === replicateConfig.seed ? replicateConfig : { ...replicateConfig, seed: pretrainSeed };
  const runsDir = resolve(opts.runsDir ?? 'runs');
  const total = scheduleSteps(config.training.pretrain.schedule);
  const first = cachedStage('pretrain', runsDir, config, data, pretrainKey(config, data), total);
  const { key, dir, ckDir } = first;
  const historyPath = join(dir, 'history.json');
  const numInstances = Math.max(...data.train.instances.map((i) => i.index)) + 1;
  if (!first.finished) {
    const foreign = findCompatiblePretrain(runsDir, config, numInstances, data.dataVersion, (m) => say(opts, m));
    if (foreign) {
      const model = new SrnModel(config.model, { numInstances, seed: config.seed });
      loadModelState(foreign.ck, model);
      say(opts, `pre-training: reusing ${foreign.ck.dir} (${foreign.ck.manifest.step} steps, same model, pre-training config, seed and training objects)`);
      return { model, info: { dir: foreign.ck.dir, key, cacheDir: dir, reused: true, steps: foreign.ck.manifest.step, seconds: 0, losses: [] } };
    }
  }
  // Training takes the stage's lease and looks again under it; reusing a finished stage takes none.
  const { found: resumeFrom, finished, lease, setAside } = first.finished ? { ...first, lease: undefined, setAside: undefined } : leaseCachedStage('pretrain', runsDir, config, data, pretrainKey(config, data), total);
  if (setAside) say(opts, `pre-training: the one on disk is stale and was set aside; it trains anew: ${setAside}`);
  const prior: number[] = existsSync(historyPath) ? (JSON.parse(readFileSync(historyPath, 'utf8')) as { losses: number[] }).losses : [];
  const model = new SrnModel(config.model, { numInstances, seed: config.seed });
  let res: Awaited<ReturnType<typeof pretrain>>;
  const t = performance.now();
  try {
    if (resumeFrom && finished) {
      loadModelState(resumeFrom, model);
      say(opts, `pre-training: reusing ${ckDir} (${resumeFrom.manifest.step} steps)`);
      return { model, info: { dir: ckDir, key, cacheDir: dir, reused: true, steps: resumeFrom.manifest.step, seconds: 0, losses: prior } };
    }
    say(opts, resumeFrom ? `pre-training: resuming ${ckDir}` : `pre-training: ${total} steps → ${ckDir}`);
    res = await pretrain(config, model, splitSource(data.train, { seed: `${config.seed}/pretrain`, skipLabels: true, cache: new ViewCache(256 * 2 ** 20) }), {
      onMetrics: opts.run ? (step, rec) => opts.run!.logMetrics(numericMetrics(rec, 'pretrain/'), step) : undefined,
      onProgress: opts.stepProgress ?? false,
      checkpoint: { dir: ckDir, every: 500, dataVersion: data.dataVersion },
      resumeFrom,
      signal: opts.signal,
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    lease?.release();
  }
  res.adam?.dispose();
  if (res.aborted) throw new Error('pre-training aborted');
  // Resumed runs keep the earlier part of the curve.
  const losses = resumeFrom ? [...prior.slice(0, res.step - res.history.length), ...res.history.map((r) => r.loss)] : res.history.map((r) => r.loss);
  writeJsonAtomic(historyPath, { losses });
  const seconds = (performance.now() - t) / 1000;
  say(opts, `pre-training: ${res.step} steps in ${seconds.toFixed(1)} s (loss ${tailMean(losses).toPrecision(4)})`);
  return { model, info: { dir: ckDir, key, cacheDir: dir, reused: false, steps: res.step, seconds, losses } };
}

/**
 * A finished pre-training checkpoint written by another command (e.g. `quickstart`) under
 * `<runsDir>/<name>/checkpoints/pretrain` or `<runsDir>/<group>/<name>/checkpoints/pretrain` with the
 * same model and pre-training config, seed, class and number of training objects — or shipped in pretrained/ —
 * made by this model code on data of `dataVersion`. A checkpoint that matches but was made by other code
 * or data is refused, and `onRefused` says why and how to re-train.
 */
export function findCompatiblePretrain(
  runsDir: string,
  config: SrnConfig,
  numInstances: number,
  dataVersion: string,
  onRefused: (message: string) => void = () => {},
): { ck: ReturnType<typeof loadCheckpoint> } | undefined {
  const candidates: string[] = [];
  const sub = (d: string) => (existsSync(d) && statSync(d).isDirectory() ? readdirSync(d).map((f) => join(d, f)) : []);
  for (const a of sub(runsDir)) {
    candidates.push(join(a, 'checkpoints', 'pretrain'));
    for (const b of sub(a)) candidates.push(join(b, 'checkpoints', 'pretrain'));
  }
  // Last: the checkpoints shipped in the repo (pretrained/*, each with its PROVENANCE.md), so that a fresh
  // clone's cpu-scale notebooks start from the same pre-training as the quickstart.
  candidates.push(...sub(SHIPPED_PRETRAINED_DIR));
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  for (const dir of candidates) {
    try {
      const ck = findCheckpoint(dir);
      if (!ck) continue;
      const m = ck.manifest;
      if (m.stage !== 'pretrain' || m.step < scheduleSteps(config.training.pretrain.schedule) || m.numInstances !== numInstances) continue;
      if (!same(m.config.model, config.model) || !same(m.config.training.pretrain, config.training.pretrain) || m.config.seed !== config.seed) continue;
      if (m.config.data.className !== config.data.className || m.config.data.maxTrainInstances !== config.data.maxTrainInstances) continue;
      const stale = versionMismatch(m, dataVersion);
      if (stale) {
        onRefused(`pre-training: not using ${dir}: ${stale}; pre-training anew (to re-make a shipped checkpoint see ${join(SHIPPED_PRETRAINED_DIR, 'README.md')})`);
        continue;
      }
      return { ck };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The few-shot labelled views (reference §4.3) at the probe side (the pipeline's draw rule). */
export function fewShotViews(config: SrnConfig, train: SplitInfo): { views: ObservedView[]; sel: FewShotSelection; allClassesRule: boolean } {
  const d = drawFewShot(config, train);
  return { views: observedViews(d.sel.info, d.side), sel: d.sel, allClassesRule: d.allClassesRule };
}

/**
 * The linear probe of the scale's config on the few-shot labels, cached next to the pre-training
 * checkpoint (`probe-<hash>/`), so the interpolation and mask experiments reuse the probe of the first.
 */
export async function ensureProbe(config: SrnConfig, model: SrnModel, data: PreparedData, pre: PretrainInfo, opts: ExperimentOptions & { run?: RunHandle } = {}): Promise<ProbeInfo> {
  const { views, sel, allClassesRule } = fewShotViews(config, data.train);
  const majorityClass = majorityForegroundClass(views.map((v) => v.view.labels!), data.train.numClasses);
  const dir = join(pre.cacheDir, `probe-${stageHash({ probe: config.training.probe, fewShot: config.data.fewShot, ids: sel.instanceIds, pretrainSteps: pre.steps, seed: config.seed })}`);
  const common = { images: views.length, instanceIds: sel.instanceIds, method: sel.method, allClassesRule, majorityClass };
  const historyPath = join(dir, 'history.json');
  const saved = existsSync(historyPath) ? findCheckpoint(dir) : undefined;
  if (saved) {
    const ck = saved;
    for (const h of ck.manifest.heads) if (!model.heads.has(h)) model.addHead(h);
    loadModelState(ck, model);
    say(opts, `probe: reusing ${dir}`);
    const losses = (JSON.parse(readFileSync(historyPath, 'utf8')) as { losses: number[] }).losses;
    return { dir, reused: true, steps: ck.manifest.step, seconds: 0, losses, ...common };
  }
  const t = performance.now();
  const probe = await fitLinearProbe(config, model, views, {
    onMetrics: opts.run ? (step, rec) => opts.run!.logMetrics(numericMetrics(rec, 'probe/'), step) : undefined,
    onProgress: opts.stepProgress ?? false,
    signal: opts.signal,
  });
  const losses = probe.history.map((r) => r.loss);
  saveCheckpoint(dir, { config, model, stage: 'probe', step: probe.step, extra: { fewShot: sel.instanceIds } });
  writeJsonAtomic(historyPath, { losses });
  const seconds = (performance.now() - t) / 1000;
  say(opts, `probe: ${views.length} labelled images (${sel.method}, ${sel.instanceIds.length} objects), ${probe.step} steps in ${seconds.toFixed(1)} s`);
  return { dir, reused: false, steps: probe.step, seconds, losses, ...common };
}

/** Observed views (file indices) of a protocol for the test objects. */
export function protocolViews(test: SplitInfo, protocol: 'single' | 'multi'): number[] {
  const numViews = Math.min(...test.instances.map((i) => i.views.length));
  return protocol === 'single' ? [SINGLE_VIEW_INDEX] : protocolSpec('multi', numViews).observedViews;
}

/**
 * Fits one code per test object (positions) from the protocol's RGB views; all weights frozen (§4.4). With `journal`
 * (a file), each group of objectsPerStep fits is journalled as it ends, so that a rerun after an interruption fits
 * only the rest — to the same codes: each object's fit is seeded by its index here, whatever group it is in.
 */
export async function fitTestCodes(config: SrnConfig, model: SrnModel, test: SplitInfo, positions: readonly number[], protocol: 'single' | 'multi', opts: ExperimentOptions = {}, journal?: string): Promise<Float32Array[]> {
  const side = config.training.latentFit.side;
  const files = protocolViews(test, protocol);
  const observe = (pos: number) => viewPositions(test.instances[pos], files).map((p) => ({ instanceIndex: 0, viewIndex: p, view: loadView(test, pos, p, side, { skipDepth: true }) }));
  const fit = (indices: readonly number[]) =>
    fitLatentCodes(config, model, indices.map((i) => observe(positions[i])), { onProgress: opts.stepProgress ?? false, signal: opts.signal, seedKeys: [...indices] });
  if (!journal) {
    const { codes } = await fit(positions.map((_, i) => i));
    // An aborted fit returns codes part-way: never render or score them (the sweep renders minutes of features next).
    throwIfInterrupted(opts, 'using the test codes (their fits were stopped part-way)');
    return codes;
  }
  const store = new CodeJournal(journal, codeFitFingerprint(config, model, { protocol, observedViews: files, positions }), test);
  if (store.opened === 'resumed') say(opts, `test codes: ${store.size} of ${positions.length} fitted before (${journal})`);
  if (store.setAside) say(opts, `test codes: a journal of another configuration set aside as ${store.setAside}`);
  const codes: Float32Array[] = new Array(positions.length);
  const perStep = config.training.latentFit.objectsPerStep;
  for (let start = 0; start < positions.length; start += perStep) {
    const indices = positions.slice(start, start + perStep).map((_, k) => start + k);
    const kept = indices.map((i) => store.get(positions[i]));
    if (kept.every((k) => k !== undefined)) {
      indices.forEach((i, k) => (codes[i] = kept[k]!.code));
      continue;
    }
    const t = performance.now();
    const fitted = await fit(indices);
    throwIfInterrupted(opts, 'using the test codes (their fits were stopped part-way)');
    const seconds = (performance.now() - t) / 1000 / indices.length;
    indices.forEach((i, k) => {
      codes[i] = fitted.codes[k];
      store.add(positions[i], fitted.codes[k], seconds);
    });
    say(opts, `test codes: ${Math.min(start + perStep, positions.length)} of ${positions.length} fitted`);
  }
  return codes;
}

/** Evaluated views as file indices: every n-th of `numViews` plus the observed ones (all views for n = 1). */
export function evalViewIndices(numViews: number, every: number, observed: readonly number[] = []): number[] {
  const set = new Set<number>(observed.filter((v) => v < numViews));
  for (let v = 0; v < numViews; v += every) set.add(v);
  return [...set].sort((a, b) => a - b);
}

/** Stops an experiment between its stages once the CLI's Ctrl-C has aborted `opts.signal` (stages that ignore it run to their end first). */
export function throwIfInterrupted(opts: ExperimentOptions, next: string): void {
  if (opts.signal?.aborted) throw new Error(`interrupted before ${next}: rerun the same command to go on (finished stages and checkpoints are kept)`);
}

/** Experiments that run once per replicate seed (the others use the seeds inside one run, or only the first). */
export const PER_SEED_EXPERIMENTS: readonly ExperimentName[] = ['semi-supervised-probe', 'tco-baseline', 'unet-baselines'];

/**
 * What keeps a config variant out of the default variant's folder: `-multi` for the multi-view probe (the supplement's
 * multi-shot column), which would otherwise overwrite the single-view run of its seed, a Table 1 row.
 */
export function variantSuffix(cfg: ExperimentConfig): string {
  if (cfg.experiment !== 'semi-supervised-probe') return '';
  const protocol = (cfg as ExperimentConfig<'semi-supervised-probe'>).protocol;
  return protocol === 'single' ? '' : `-${protocol}`;
}

/**
 * `<runsDir>/<experiment>/<scale>/<class>[-multi][-seed<s>]`, created: one folder per class, and per replicate seed for the
 * experiments run once per seed, so chairs and tables and every seed keep their own results.json.
 */
export function experimentRunDir(cfg: ExperimentConfig, opts: ExperimentOptions): string {
  const dir = experimentRunPath(cfg, opts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The path experimentRunDir makes, without making it (for code that only looks). */
export function experimentRunPath(cfg: ExperimentConfig, opts: ExperimentOptions): string {
  const perSeed = PER_SEED_EXPERIMENTS.includes(cfg.experiment);
  return resolve(opts.runsDir ?? 'runs', cfg.experiment, cfg.scale, `${cfg.data.className.toLowerCase()}${variantSuffix(cfg)}${perSeed ? `-seed${replicateSeed(cfg)}` : ''}`);
}

/**
 * Runs `fn` inside a tracking run named `<experiment>/<scale>` (a child of opts.parentRun if given),
 * ending it FINISHED or FAILED; logs the experiment config as params.
 */
export async function withExperimentRun<T>(cfg: ExperimentConfig, opts: ExperimentOptions, fn: (run: RunHandle, tracker: Tracker) => Promise<T>): Promise<T> {
  const tracker = opts.tracker ?? new NullTracker();
  const run = await tracker.startRun({
    name: `${cfg.experiment}/${cfg.scale}/${cfg.data.className.toLowerCase()}${variantSuffix(cfg)}${PER_SEED_EXPERIMENTS.includes(cfg.experiment) ? `/seed${replicateSeed(cfg)}` : ''}`,
    parent: opts.parentRun,
    tags: { experiment: cfg.experiment, scale: cfg.scale, preset: cfg.preset, class: cfg.data.className, seed: String(replicateSeed(cfg)), backend: tf.getBackend() ?? 'none' },
    params: { experiment: { ...cfg, description: undefined } },
    // A run left RUNNING by a killed run of this experiment is continued (its pre-training resumes too).
    lease: { file: join(experimentRunDir(cfg, opts), 'tracking-run.json'), resume: true },
  });
  try {
    const out = await fn(run, tracker);
    await run.end('FINISHED');
    return out;
  } catch (e) {
    await run.setTag(FAILURE_TAG, (e as Error).message.slice(0, 4000)).catch(() => undefined);
    await run.end('FAILED');
    throw e;
  }
}

/** The backend in use, for results files. */
export function backendSummary(): { tfBackend: string; tfjs: string } {
  return { tfBackend: tf.getBackend() ?? 'none', tfjs: tf.version.tfjs };
}

/** Logs every file under `dir` (recursively, small folders) as artifacts under `artifactPath`. */
export async function logDir(run: RunHandle, dir: string, artifactPath?: string): Promise<void> {
  if (!existsSync(dir) || !statSync(dir).isDirectory() || readdirSync(dir).length === 0) return;
  await run.logArtifact(dir, artifactPath);
}
