/**
 * The main pipeline at one scale, end to end (the `quickstart` command, Table 1's SRN+linear row):
 * data → pre-train (or reuse) → probe → fit → evaluate → report. Writes <out>/<name>/results.json, config.json,
 * PNG renders and a PLY point cloud, and logs params, per-step losses, metrics and artifacts to the tracker.
 * Re-running with the same name resumes pre-training from its checkpoint unless `fromScratch`.
 * The caller picks the backend (once, before calling) and owns the tracker.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, describeBackend, type BackendReport } from '../backend/select';
import { presetConfig, scheduleSteps } from '../config/presets';
import type { DeepPartial, SrnConfig } from '../config/types';
import { evalMetrics, writeResultsJson, type EvalResults } from '../eval/runner';
import { table1Entry, table1Exclusion } from '../eval/table1';
import { SrnModel } from '../srn/model';
import { findCheckpoint, loadCheckpoint, versionMismatch } from '../training/checkpoint';
import { FAILURE_TAG } from '../tracking/lifecycle';
import type { ProgressCallback } from '../training/progress';
import type { RunHandle, Tracker } from '../tracking/types';
import { writeJsonAtomic } from '../util/atomic_write';
import { projectRoot } from '../util/project_root';
import { datasetClassFolder, prepareSplits } from './data';
import { estimateClause } from './time_estimate';
import { assertSameModelConfig, evaluateStage, pretrainStage, probeStage, type StageContext } from './srn_stages';

export interface QuickstartOptions {
  /** Run name; outputs go to `<out>/<name>/`. */
  name: string;
  /** Runs folder. */
  out: string;
  /** Dataset root; the built-in objects are generated here if absent (default `.cache/data` for 64² data, `.cache/data-<side>` otherwise). */
  data?: string;
  /** Config preset (cpu, cpu64, tiny, paper, paper-released). */
  preset: string;
  /** Object class: 'chair' (default) or 'table'. */
  className?: string;
  /** Seed of init, ray sampling and the few-shot draw. */
  seed: number;
  /** Ignore (and delete) an existing pre-training checkpoint of this run; never use the shipped one. */
  fromScratch: boolean;
  /** Start from this pre-training checkpoint (made by our own pre-training). */
  pretrained?: string;
  /** Pre-training checkpoints kept (default 1); N > 1 keeps the N − 1 previous ones as `pretrain.step-<step>`. */
  keepCheckpoints?: number;
  steps: { pretrain?: number; probe?: number; fit?: number };
  /** Training / test objects (default: the preset's data caps). */
  trainInstances?: number;
  testInstances?: number;
  /** Rendered size of generated data (default the preset's `data.renderResolution`). */
  resolution?: number;
  /** The backend the caller selected (recorded in results.json and the run's tags); default the current TF.js backend. */
  backend?: BackendReport;
  /** Where the run is logged (a NullTracker for none); the caller closes it. */
  tracker: Tracker;
  /** Open the run as a child of this one (e.g. a Table 1 comparison's parent run). */
  parentRun?: RunHandle;
  /** Phase lines (default: none). */
  log?: (message: string) => void;
  /** Per-step progress of the training loops (default: none). */
  progress?: ProgressCallback | false;
  /** Ctrl-C during pre-training writes its checkpoint and ends the run KILLED (CLI runs). */
  interruptible?: boolean;
}

export interface QualityBar {
  allBackgroundMIOU: number;
  majorityPartMIOU: number | null;
  srnMIOU: number;
  marginOverBest: number;
  pass: boolean;
}

export interface QuickstartResult {
  runDir: string;
  resultsPath: string;
  config: SrnConfig;
  results: EvalResults;
  qualityBar: QualityBar;
  timings: Record<string, number>;
  renders: string[];
  checkpoints: { pretrain: string; probe: string };
  tracking: { uri: string; runId: string; experiment: string; experimentId: string };
}

/** The config of a quickstart run: preset + seed, class, data caps and step overrides (+ the dataset's class count). */
export function quickstartConfig(o: Pick<QuickstartOptions, 'preset' | 'seed' | 'className' | 'steps' | 'trainInstances' | 'testInstances'>, numClasses?: number): SrnConfig {
  const base = presetConfig(o.preset);
  const over: DeepPartial<SrnConfig> = {
    seed: o.seed,
    data: {
      ...(o.className ? { className: datasetClassFolder(o.className) } : {}),
      ...(o.trainInstances ? { maxTrainInstances: o.trainInstances } : {}),
      ...(o.testInstances ? { maxTestInstances: o.testInstances } : {}),
      fewShot: { seed: o.seed },
    },
    training: {
      ...(o.steps.pretrain !== undefined ? { pretrain: { schedule: [{ ...base.training.pretrain.schedule.at(-1)!, steps: o.steps.pretrain }] } } : {}),
      ...(o.steps.probe !== undefined ? { probe: { steps: o.steps.probe } } : {}),
      ...(o.steps.fit !== undefined ? { latentFit: { steps: o.steps.fit } } : {}),
    },
    ...(numClasses !== undefined ? { model: { numClasses } } : {}),
  };
  return presetConfig(o.preset, over);
}

/** The config fields that identify a run in results.json. */
export function configSummary(c: SrnConfig) {
  return {
    preset: c.preset,
    seed: c.seed,
    model: { latentDim: c.model.latentDim, phiWidth: c.model.phiWidth, hyperHidden: c.model.hyperHidden, marchSteps: c.model.marchSteps, numClasses: c.model.numClasses },
    pretrain: c.training.pretrain.schedule,
    raysPerImage: c.training.pretrain.raysPerImage,
    probe: { steps: c.training.probe.steps, side: c.training.probe.side, head: c.training.probe.head },
    latentFit: { steps: c.training.latentFit.steps, side: c.training.latentFit.side, raysPerImage: c.training.latentFit.raysPerImage },
    fewShot: c.data.fewShot,
    data: { className: c.data.className, maxTrainInstances: c.data.maxTrainInstances, maxTestInstances: c.data.maxTestInstances },
    inferenceSide: c.inference.side,
  };
}

/** The repo's folder of shipped pre-training checkpoints (each with its PROVENANCE.md). */
export const SHIPPED_PRETRAINED_DIR = join(projectRoot(), 'pretrained');

/**
 * The pre-training checkpoint shipped in the repo for this preset, class and seed (`pretrained/<preset>-<class>-seed<seed>`,
 * see pretrained/README.md). Used only when the run matches how it was made: the preset's training-object count,
 * data resolution and pre-training steps. Whether its code and data versions match is checked where it is loaded.
 */
export function shippedCheckpoint(o: Pick<QuickstartOptions, 'preset' | 'resolution' | 'steps'>, config: SrnConfig): string | undefined {
  const dir = join(SHIPPED_PRETRAINED_DIR, `${o.preset}-${config.data.className.toLowerCase()}-seed${config.seed}`);
  const preset = presetConfig(o.preset);
  const matches =
    config.data.maxTrainInstances === preset.data.maxTrainInstances &&
    (o.resolution ?? preset.data.renderResolution) === preset.data.renderResolution &&
    o.steps.pretrain === undefined;
  return matches && existsSync(join(dir, 'manifest.json')) ? dir : undefined;
}

/** The pre-training loss history a shipped checkpoint carries (scripts/ship-pretrained.ts), if any. */
export function shippedLossHistory(extra: Record<string, unknown> | undefined): { steps: number[]; values: number[] } | undefined {
  const h = extra?.pretrainLosses as { steps?: unknown; values?: unknown } | undefined;
  if (!h || !Array.isArray(h.steps) || !Array.isArray(h.values) || h.steps.length !== h.values.length) return undefined;
  return { steps: h.steps as number[], values: h.values as number[] };
}

/**
 * One line saying what the run will do, stage by stage, and about how long it takes on this backend (measured
 * step costs, lib/pipeline/time_estimate.ts; "time unknown" where none were measured), before it starts (each
 * stage then reports its own ETA).
 */
export function planLine(config: SrnConfig, o: { resumeStep: number; shipped: boolean; testObjects: number; testViews: number; backend?: string }): string {
  const total = scheduleSteps(config.training.pretrain.schedule);
  const left = o.shipped ? 0 : Math.max(0, total - o.resumeStep);
  const pre = o.shipped ? `pre-training: the shipped checkpoint (${total} steps, none to run)` : left === total ? `pre-training ${total} steps` : `pre-training ${left} of ${total} steps left`;
  const fs = config.data.fewShot;
  const lf = config.training.latentFit;
  const time = estimateClause({
    preset: config.preset,
    backend: o.backend,
    pretrainSteps: left,
    probeSteps: config.training.probe.steps,
    fitSteps: lf.steps,
    testObjects: o.testObjects,
    evalViews: o.testViews,
  });
  return (
    `plan (${config.preset}, ${config.data.className}, ${config.inference.side}²): ${pre}; linear probe ${config.training.probe.steps} steps on ` +
    `${fs.instances * fs.viewsPerInstance} labelled images; a ${lf.steps}-step single-view fit of each of ${o.testObjects} test objects ` +
    `(${lf.objectsPerStep} per step); evaluation of ${o.testViews} views; ${time}`
  );
}

/** Runs the whole pipeline; throws on failure (the tracker run ends FAILED, or KILLED when interrupted). */
export async function runQuickstart(o: QuickstartOptions): Promise<QuickstartResult> {
  const t0 = performance.now();
  const secs = (from: number) => (performance.now() - from) / 1000;
  const log = o.log ?? (() => undefined);
  const timings: Record<string, number> = {};

  let config = quickstartConfig(o);
  const nTrain = config.data.maxTrainInstances ?? 50;
  const nTest = config.data.maxTestInstances ?? 10;
  const className = config.data.className;
  const resolution = o.resolution ?? config.data.renderResolution;

  const runDir = resolve(o.out, o.name);
  const resultsPath = join(runDir, 'results.json');
  const rendersDir = join(runDir, 'renders');
  const ckDir = join(runDir, 'checkpoints');
  mkdirSync(rendersDir, { recursive: true });
  if (o.fromScratch) rmSync(join(ckDir, 'pretrain'), { recursive: true, force: true });

  // ---- data
  // One folder per generated size: a generator.json never mixes resolutions.
  const dataRoot = resolve(o.data ?? (resolution === 64 ? '.cache/data' : `.cache/data-${resolution}`));
  const data = await prepareSplits({
    root: dataRoot,
    className,
    train: nTrain,
    test: nTest,
    resolution,
    onGenerate: o.log && o.progress ? (split, d, n) => (d === n || d % 10 === 0 ? log(`data ${split}: ${d}/${n} objects`) : undefined) : undefined,
  });
  const { train, test } = data;
  timings.dataSeconds = data.seconds;
  log(`data: ${data.generated.map((g) => `${g.split} ${g.count} (${g.generated} generated)`).join(', ')} in ${timings.dataSeconds.toFixed(1)} s under ${dataRoot}`);
  config = quickstartConfig(o, train.numClasses);

  // ---- tracker
  const tracker = o.tracker;
  const run = await tracker.startRun({
    name: o.name,
    ...(o.parentRun ? { parent: o.parentRun } : {}),
    tags: { command: 'quickstart', preset: o.preset, backend: o.backend?.chosen ?? tf.getBackend() ?? 'none' },
    params: { config, data: { root: dataRoot, className, train: train.instances.length, test: test.instances.length, resolution, version: data.dataVersion } },
    // A run left RUNNING by a killed quickstart of this name is continued (the training resumes too), or FAILED with fromScratch.
    lease: { file: join(runDir, 'tracking-run.json'), resume: !o.fromScratch },
  });
  const ctx: StageContext = { run, progress: o.progress ?? false, log };
  let status: 'FINISHED' | 'FAILED' | 'KILLED' = 'FAILED';
  const model = new SrnModel(config.model, { numInstances: Math.max(...train.instances.map((i) => i.index)) + 1, seed: config.seed });
  try {
    // ---- pre-training
    const ckPretrain = join(ckDir, 'pretrain');
    // Each checkpoint is read (and every tensor hash-checked) once, then handed on.
    let shipped = o.fromScratch ? undefined : shippedCheckpoint(o, config);
    const shippedCk = shipped ? loadCheckpoint(shipped) : undefined;
    const shippedStale = shippedCk && versionMismatch(shippedCk.manifest, data.dataVersion);
    if (shipped && shippedStale) {
      log(`pre-training: not using the shipped ${shipped}: ${shippedStale}; pre-training from scratch (pretrained/README.md says how to re-make it)`);
      shipped = undefined;
    }
    const own = o.pretrained ? undefined : findCheckpoint(ckPretrain);
    const resumeFrom = o.pretrained ?? (own ? ckPretrain : undefined) ?? shipped;
    const resumed = o.pretrained ? loadCheckpoint(o.pretrained) : (own ?? (shipped ? shippedCk : undefined));
    if (resumeFrom && resumed) {
      // A checkpoint of another code or data version, or of another model config, cannot be resumed: say so.
      const stale = versionMismatch(resumed.manifest, data.dataVersion);
      if (stale) throw new Error(`${resumeFrom}: cannot resume this pre-training checkpoint: ${stale}; use --from-scratch or another --name`);
      assertSameModelConfig(resumed, config, `preset '${o.preset}'`);
      log(resumeFrom === shipped ? `pre-training: using the shipped checkpoint ${resumeFrom}` : `pre-training resumes from ${resumeFrom}`);
    }
    log(planLine(config, { resumeStep: resumed?.manifest.step ?? 0, shipped: resumeFrom !== undefined && resumeFrom === shipped, testObjects: test.instances.length, testViews: test.instances.reduce((n, i) => n + i.views.length, 0), backend: (o.backend ?? currentBackend())?.chosen }));
    const pre = await pretrainStage(
      config,
      model,
      train,
      { checkpointDir: ckPretrain, resumeFrom: resumed, interruptible: o.interruptible, keep: o.keepCheckpoints, dataVersion: data.dataVersion, tracking: { uri: tracker.uri, runId: run.runId } },
      ctx,
    );
    if (pre.aborted) {
      status = 'KILLED';
      throw new Error(`pre-training interrupted at step ${pre.step}; checkpoint written to ${ckPretrain} (run the same command again to resume)`);
    }
    timings.pretrainSeconds = pre.seconds;
    if (pre.losses.length === 0 && resumeFrom && resumed) {
      // Nothing ran: say whose steps these are, and log the shipped checkpoint's own curve to this run.
      const history = shippedLossHistory(resumed.manifest.extra);
      if (history) history.steps.forEach((step, i) => run.logMetrics({ 'pretrain/loss': history.values[i] }, step));
      log(
        `pre-training: none to run, ${resumeFrom} is at step ${pre.step}` +
          (history ? ` (its loss history, ${history.steps.length} steps, is logged to this run)` : ''),
      );
    } else {
      log(`pre-training: ${pre.step} steps in ${timings.pretrainSeconds.toFixed(1)} s (loss over the last 50 steps ${pre.finalLoss?.toPrecision(4) ?? 'n/a'})`);
    }

    // ---- linear probe on the few-shot labels
    const probe = await probeStage(config, model, train, { checkpointDir: join(ckDir, 'probe') }, ctx);
    timings.probeSeconds = probe.seconds;
    log(`probe: ${probe.images} labelled images (${probe.draw.sel.method}, ${probe.draw.sel.instanceIds.length} objects), ${probe.step} steps in ${timings.probeSeconds.toFixed(1)} s`);

    // ---- single-view fit + evaluation on every test view
    const ev = await evaluateStage(
      config,
      model,
      test,
      {
        protocol: 'single',
        majorityClass: probe.majorityClass,
        backend: o.backend ? { ...o.backend, description: describeBackend(o.backend) } : { tfBackend: tf.getBackend() ?? 'none' },
        configSummary: configSummary(config),
        figures: { dir: rendersDir, instances: Math.min(3, test.instances.length), views: 6 },
        pointCloud: { dir: rendersDir },
        onObject: (p) => log(`eval: ${p.instance}/${p.instances} objects, ${p.images} images, running mIOU ${(100 * p.mIOU).toFixed(1)}% (${p.elapsedSeconds.toFixed(0)} s)`),
      },
      ctx,
    );
    const results = ev.results;
    timings.evalSeconds = ev.seconds;
    timings.meanFitSecondsPerObject = ev.meanFitSecondsPerObject;
    timings.meanRenderSecondsPerObject = ev.meanRenderSecondsPerObject;
    timings.totalSeconds = secs(t0);

    // ---- report
    const bar = {
      allBackgroundMIOU: results.trivial.allBackground.mIOU,
      majorityPartMIOU: results.trivial.majorityPart?.mIOU ?? null,
      srnMIOU: results.mIOU,
      marginOverBest: results.mIOU - Math.max(results.trivial.allBackground.mIOU, results.trivial.majorityPart?.mIOU ?? -Infinity),
    };
    const qualityBar = { ...bar, pass: bar.marginOverBest > 0 };
    const fs = config.data.fewShot;
    const tracking = { uri: tracker.uri, runId: run.runId, experiment: tracker.experimentName, experimentId: run.experimentId };
    const checkpoints = { pretrain: ckPretrain, probe: join(ckDir, 'probe') };
    // A Table 1 row of its scale only when it ran the preset's whole protocol (no short or earlier-checkpoint runs).
    const reference = presetConfig(o.preset);
    const excluded = table1Exclusion(
      { pretrainSteps: pre.step, probeSteps: probe.step, fitSteps: config.training.latentFit.steps, trainObjects: train.instances.length, testObjects: test.instances.length },
      {
        pretrainSteps: scheduleSteps(reference.training.pretrain.schedule),
        probeSteps: reference.training.probe.steps,
        fitSteps: reference.training.latentFit.steps,
        trainObjects: reference.data.maxTrainInstances ?? train.instances.length,
        testObjects: reference.data.maxTestInstances ?? test.instances.length,
      },
    );
    const table1Fields = excluded
      ? { table1: null, table1Excluded: excluded }
      : { table1: table1Entry('srn-linear', { ...results, className: results.dataset.className, scale: o.preset, seed: config.seed }) };
    writeResultsJson(resultsPath, {
      ...results,
      timings: { ...results.timings, ...timings },
      qualityBar,
      training: {
        pretrainSteps: pre.step,
        pretrainFinalLoss: pre.finalLoss,
        probeSteps: probe.step,
        probeFinalLoss: probe.finalLoss,
        fewShot: {
          method: probe.draw.sel.method,
          allClassesRule: probe.draw.allClassesRule,
          instances: probe.draw.sel.instanceIds,
          views: fs.views,
          images: probe.images,
          classPixelCounts: probe.draw.sel.classPixelCounts,
        },
        latentFitSteps: config.training.latentFit.steps,
        latentFitObjectsPerStep: config.training.latentFit.objectsPerStep,
      },
      ...table1Fields,
      renders: ev.renders,
      checkpoints,
      tracking,
    });
    writeJsonAtomic(join(runDir, 'config.json'), config);
    run.logMetrics({
      ...evalMetrics(results, 'eval/', { trivial: true, perClass: true }),
      ...Object.fromEntries(Object.entries(timings).map(([k, v]) => [`time/${k}`, v])),
    });
    await run.logArtifact(resultsPath);
    await run.logArtifact(rendersDir, 'renders');
    status = 'FINISHED';
    return { runDir, resultsPath, config, results, qualityBar, timings, renders: ev.renders, checkpoints, tracking };
  } catch (e) {
    // The reason (e.g. the step and loss term that went NaN) goes on the FAILED run, not only to stderr.
    if (status !== 'KILLED') await run.setTag(FAILURE_TAG, (e as Error).message.slice(0, 4000)).catch(() => undefined);
    throw e;
  } finally {
    model.dispose();
    await run.end(status);
  }
}
