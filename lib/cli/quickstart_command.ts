/**
 * `semantic-srn quickstart`: the main job on a fresh clone (issue 3, item 7).
 * 1. generate the built-in chairs if absent; 2. pre-train the preset on RGB; 3. fit the linear probe on
 * 10×3 labelled images (seeded, all classes present); 4. fit a code per test object from view 65 and
 * 5. evaluate on all its test views; write runs/<name>/results.json, PNG renders and a PLY point cloud,
 * and log params, per-step losses, metrics and artifacts to the tracker (./mlruns by default).
 * Re-running with the same --name resumes pre-training from its checkpoint unless --from-scratch.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { presetConfig } from '../config/presets';
import type { SrnConfig } from '../config/types';
import { classFolder, parseSyntheticClass } from '../data/synthetic/classes';
import type { CliCommand } from './main';

const HELP = `usage: semantic-srn quickstart [options]

  --name NAME           run name (default quickstart); outputs go to <out>/<name>/
  --out DIR             runs folder (default runs)
  --data DIR            dataset root; built-in objects are generated here if absent
                        (default .cache/data for 64² data, .cache/data-<side> otherwise)
  --class NAME          chair (default) or table
  --preset NAME         config preset: cpu (default), cpu64, tiny, paper, paper-released
  --seed N              seed for init, ray sampling and the few-shot draw (default 0)
  --from-scratch        ignore an existing pre-training checkpoint of this run
  --pretrained DIR      start from this pre-training checkpoint (made by our own pre-training)
  --steps K=N,...       step overrides: pretrain=N, probe=N, fit=N
  --train-instances N   training objects (default: preset's data.maxTrainInstances)
  --test-instances N    test objects to fit and evaluate (default: preset's data.maxTestInstances)
  --resolution N        rendered size of generated data (default: the preset's, 64 for cpu, 128 for cpu64)
  --backend NAME        auto|node-gpu|node|wasm|cpu (default auto, i.e. wasm here)
  --tracking-uri URI    MLflow tracking URI (default MLFLOW_TRACKING_URI, else ./mlruns); --no-track disables
  --quiet               no progress lines`;

interface QuickstartArgs {
  name: string;
  out: string;
  /** Default: `.cache/data` for 64² data, `.cache/data-<side>` for other sizes (one size per folder). */
  data?: string;
  preset: string;
  /** Dataset class folder: 'Chair' or 'Table'. */
  className: string;
  seed: number;
  fromScratch: boolean;
  pretrained?: string;
  steps: { pretrain?: number; probe?: number; fit?: number };
  trainInstances?: number;
  testInstances?: number;
  resolution?: number;
  backend?: string;
  trackingUri?: string;
  track: boolean;
  quiet: boolean;
}

function intArg(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer ≥ ${min}, got '${v}'`);
  return n;
}

export function parseQuickstartArgs(argv: string[]): QuickstartArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, preset: { type: 'string' }, class: { type: 'string' },
      seed: { type: 'string' }, 'from-scratch': { type: 'boolean' }, pretrained: { type: 'string' }, steps: { type: 'string' },
      'train-instances': { type: 'string' }, 'test-instances': { type: 'string' }, resolution: { type: 'string' },
      backend: { type: 'string' }, 'tracking-uri': { type: 'string' }, 'no-track': { type: 'boolean' }, quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const steps: QuickstartArgs['steps'] = {};
  if (values.steps) {
    for (const part of values.steps.split(',')) {
      const [k, v] = part.split('=');
      if (!['pretrain', 'probe', 'fit'].includes(k) || v === undefined) {
        throw new Error(`--steps: expected comma-separated pretrain=N, probe=N, fit=N, got '${part}'`);
      }
      steps[k as keyof QuickstartArgs['steps']] = intArg(v, `--steps ${k}`, 0);
    }
  }
  const name = values.name ?? 'quickstart';
  if (!/^[\w.-]+$/.test(name)) throw new Error(`--name: use letters, digits, '.', '_' or '-', got '${name}'`);
  return {
    name,
    out: values.out ?? 'runs',
    data: values.data,
    preset: values.preset ?? 'cpu',
    className: classFolder(parseSyntheticClass(values.class ?? 'chair')),
    seed: intArg(values.seed, '--seed') ?? 0,
    fromScratch: values['from-scratch'] ?? false,
    pretrained: values.pretrained,
    steps,
    trainInstances: intArg(values['train-instances'], '--train-instances', 1),
    testInstances: intArg(values['test-instances'], '--test-instances', 1),
    resolution: intArg(values.resolution, '--resolution', 8),
    backend: values.backend,
    trackingUri: values['tracking-uri'],
    track: !values['no-track'],
    quiet: values.quiet ?? false,
  };
}

export const quickstartCommand: CliCommand = {
  summary: 'generate chairs, pre-train, fit the linear probe on 30 images, fit test codes from one view, evaluate',
  async run(argv) {
    const args = parseQuickstartArgs(argv);
    if (args === 'help') {
      console.log(HELP);
      return 0;
    }
    const summary = await runQuickstart(args);
    return summary.ok ? 0 : 1;
  },
};

/** Evenly spaced view positions including `must` (for figures). */
function figureViews(numViews: number, must: number, count = 6): number[] {
  const set = new Set<number>([must]);
  for (let i = 0; set.size < Math.min(count, numViews) && i < count * 4; i++) set.add(Math.floor((i * numViews) / count) % numViews);
  return [...set].sort((a, b) => a - b);
}

export async function runQuickstart(args: QuickstartArgs): Promise<{ ok: boolean; runDir: string; resultsPath: string }> {
  // Lazy imports keep `--help` free of TF.js.
  const { selectBackend, describeBackend, nativeThreadsForPreset, parseBackendChoice } = await import('../backend/select');
  const { datasetVersion, ensureSyntheticDataset } = await import('../data/synthetic/generate');
  const { openSplit } = await import('../data/split');
  const { loadView, ViewCache } = await import('../data/view_loader');
  const { selectFewShot, FewShotCoverageError } = await import('../data/sampler');
  const { SrnModel } = await import('../srn/model');
  const { pretrain, fitLinearProbe } = await import('../training/stages');
  const { splitSource } = await import('../training/data');
  const { saveCheckpoint, findCheckpoint, loadCheckpoint, versionMismatch } = await import('../training/checkpoint');
  const { stderrProgress } = await import('../training/progress');
  const { evaluate, evalMetrics, formatResults, writeResultsJson } = await import('../eval/runner');
  const { srnPredictor } = await import('../eval/srn_predictor');
  const { majorityForegroundClass } = await import('../eval/trivial');
  const { writeComparisonGrid } = await import('../viz/figures');
  const { writeLabelledPointCloudPly, pointCloudViews } = await import('../viz/ply');
  const { createTracker, NullTracker } = await import('../tracking/create_tracker');
  const { runInterruptibly } = await import('../tracking/signals');
  const { FAILURE_TAG } = await import('../tracking/lifecycle');
  const { writeJsonAtomic } = await import('../util/atomic_write');

  const t0 = performance.now();
  const secs = (from: number) => (performance.now() - from) / 1000;
  const log = (msg: string) => console.error(`[quickstart] ${msg}`);
  const progress = args.quiet ? (false as const) : stderrProgress(5000);
  const timings: Record<string, number> = {};

  const backend = await selectBackend({
    backend: args.backend ? parseBackendChoice(args.backend, '--backend') : undefined,
    nativeThreadsDefault: nativeThreadsForPreset(args.preset),
  });
  log(describeBackend(backend));

  // ---- config
  const base = presetConfig(args.preset);
  const over = {
    seed: args.seed,
    data: {
      className: args.className,
      ...(args.trainInstances ? { maxTrainInstances: args.trainInstances } : {}),
      ...(args.testInstances ? { maxTestInstances: args.testInstances } : {}),
      fewShot: { seed: args.seed },
    },
    training: {
      ...(args.steps.pretrain !== undefined ? { pretrain: { schedule: [{ ...base.training.pretrain.schedule.at(-1)!, steps: args.steps.pretrain }] } } : {}),
      ...(args.steps.probe !== undefined ? { probe: { steps: args.steps.probe } } : {}),
      ...(args.steps.fit !== undefined ? { latentFit: { steps: args.steps.fit } } : {}),
    },
  };
  let config = presetConfig(args.preset, over);
  const nTrain = config.data.maxTrainInstances ?? 50;
  const nTest = config.data.maxTestInstances ?? 10;
  const className = config.data.className;
  const resolution = args.resolution ?? config.data.renderResolution;

  const runDir = resolve(args.out, args.name);
  const resultsPath = join(runDir, 'results.json');
  const rendersDir = join(runDir, 'renders');
  const ckDir = join(runDir, 'checkpoints');
  mkdirSync(rendersDir, { recursive: true });
  if (args.fromScratch) rmSync(join(ckDir, 'pretrain'), { recursive: true, force: true });

  // ---- data
  let t = performance.now();
  const dataRoot = resolve(args.data ?? (resolution === 64 ? '.cache/data' : `.cache/data-${resolution}`));
  const gen = await ensureSyntheticDataset({
    root: dataRoot,
    className,
    splits: { train: nTrain, test: nTest },
    resolution,
    onProgress: args.quiet ? undefined : (split, d, n) => d === n || d % 10 === 0 ? log(`data ${split}: ${d}/${n} objects`) : undefined,
  });
  timings.dataSeconds = secs(t);
  log(`data: ${gen.map((g) => `${g.split} ${g.count} (${g.generated} generated)`).join(', ')} in ${timings.dataSeconds.toFixed(1)} s under ${dataRoot}`);
  const train = openSplit(dataRoot, className, 'train', { maxInstances: nTrain });
  const test = openSplit(dataRoot, className, 'test', { maxInstances: nTest });
  config = presetConfig(args.preset, { ...over, model: { numClasses: train.numClasses } });

  // ---- tracker
  const tracker = args.track ? createTracker(args.trackingUri ? { uri: args.trackingUri } : {}) : new NullTracker();
  const run = await tracker.startRun({
    name: args.name,
    tags: { command: 'quickstart', preset: args.preset, backend: backend.chosen },
    params: { config, data: { root: dataRoot, className, train: train.instances.length, test: test.instances.length, resolution } },
    // A run left RUNNING by a killed quickstart of this name is continued (the training resumes too), or FAILED with --from-scratch.
    lease: { file: join(runDir, 'tracking-run.json'), resume: !args.fromScratch },
  });
  let ok = false;
  let interrupted = false;
  try {
    const model = new SrnModel(config.model, { numInstances: Math.max(...train.instances.map((i) => i.index)) + 1, seed: config.seed });

    // ---- pre-training
    t = performance.now();
    const ckPretrain = join(ckDir, 'pretrain');
    const dataVersion = datasetVersion(dataRoot, className);
    let shipped = args.fromScratch ? undefined : shippedCheckpoint(args, config, resolution);
    const shippedStale = shipped && versionMismatch(loadCheckpoint(shipped).manifest, dataVersion);
    if (shipped && shippedStale) {
      log(`pre-training: not using the shipped ${shipped}: ${shippedStale}; pre-training from scratch (pretrained/README.md says how to re-make it)`);
      shipped = undefined;
    }
    const resumeFrom = args.pretrained ?? (findCheckpoint(ckPretrain) ? ckPretrain : undefined) ?? shipped;
    if (resumeFrom) {
      // A checkpoint from another model config or code/data version cannot be resumed: say so.
      const savedManifest = loadCheckpoint(resumeFrom).manifest;
      const stale = versionMismatch(savedManifest, dataVersion);
      if (stale) throw new Error(`${resumeFrom}: cannot resume this pre-training checkpoint: ${stale}; use --from-scratch or another --name`);
      const saved = savedManifest.config.model;
      const diff = (Object.keys(config.model) as (keyof typeof config.model)[]).filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(config.model[k]));
      if (diff.length) {
        throw new Error(
          `${resumeFrom}: checkpoint model config differs from preset '${args.preset}' in ${diff.map((k) => `${k} (${JSON.stringify(saved[k])} vs ${JSON.stringify(config.model[k])})`).join(', ')}; ` +
            `use --from-scratch or another --name`,
        );
      }
      log(`pre-training resumes from ${resumeFrom}`);
    }
    // Ctrl-C during pre-training: the stage finishes its step and writes its checkpoint, then the run ends KILLED.
    const pre = await runInterruptibly(
      (signal) =>
        pretrain(config, model, splitSource(train, { seed: `${config.seed}/pretrain`, skipLabels: true, cache: new ViewCache(256 * 2 ** 20) }), {
          onMetrics: (step, rec) => run.logMetrics(numeric(rec, 'pretrain/'), step),
          onProgress: progress,
          checkpoint: { dir: ckPretrain, every: 500, tracking: { uri: tracker.uri, runId: run.runId }, dataVersion },
          resumeFrom,
          signal,
        }),
      () => log('interrupted: pre-training stops after this step and writes its checkpoint (Ctrl-C again quits at once)'),
    );
    pre.adam?.dispose();
    if (pre.aborted) {
      interrupted = true;
      throw new Error(`pre-training interrupted at step ${pre.step}; checkpoint written to ${ckPretrain} (run the same command again to resume)`);
    }
    timings.pretrainSeconds = secs(t);
    const preLoss = pre.history.length ? mean(pre.history.slice(-50).map((r) => r.loss)) : null;
    log(`pre-training: ${pre.step} steps in ${timings.pretrainSeconds.toFixed(1)} s (loss over the last 50 steps ${preLoss?.toPrecision(4) ?? 'n/a'})`);

    // ---- linear probe on 10 × 3 labelled images
    t = performance.now();
    const fs = config.data.fewShot;
    const probeSide = config.training.probe.side;
    const fewShotOpts = {
      instances: fs.instances,
      views: fs.views ?? [0, 1, 2].slice(0, fs.viewsPerInstance),
      seed: fs.seed,
      requireAllClasses: fs.allClassesPresent,
      side: probeSide,
    };
    let sel: ReturnType<typeof selectFewShot>;
    let allClassesRule = fewShotOpts.requireAllClasses;
    try {
      sel = selectFewShot(train, fewShotOpts);
    } catch (e) {
      // Only when the training objects cannot cover every class at all (tiny runs); recorded in results.json.
      if (!fewShotOpts.requireAllClasses || !(e instanceof FewShotCoverageError)) throw e;
      log(`warning: ${(e as Error).message}; drawing the labelled images without the all-classes rule`);
      sel = selectFewShot(train, { ...fewShotOpts, requireAllClasses: false });
      allClassesRule = false;
    }
    const labelled = sel.info.instances.flatMap((inst, pos) =>
      inst.views.map((_, v) => ({ instanceIndex: inst.index, viewIndex: inst.views[v].index ?? v, view: loadView(sel.info, pos, v, probeSide, { skipDepth: true }) })),
    );
    const probe = await fitLinearProbe(config, model, labelled, {
      onMetrics: (step, rec) => run.logMetrics(numeric(rec, 'probe/'), step),
      onProgress: progress,
    });
    timings.probeSeconds = secs(t);
    saveCheckpoint(join(ckDir, 'probe'), { config, model, stage: 'probe', step: probe.step, extra: { fewShot: sel.instanceIds } });
    const majority = majorityForegroundClass(labelled.map((o) => o.view.labels!), train.numClasses);
    log(`probe: ${labelled.length} labelled images (${sel.method}, ${sel.instanceIds.length} objects), ${probe.step} steps in ${timings.probeSeconds.toFixed(1)} s`);

    // ---- single-view fit + evaluation on every test view
    const side = config.inference.side;
    const cache = new ViewCache(512 * 2 ** 20);
    const fitTimes: number[] = [];
    const renderTimes: number[] = [];
    const figureInstances = Math.min(3, test.instances.length);
    const renders: string[] = [];
    let fitStepBase = 0;
    const predictor = srnPredictor(config, model, {
      head: config.training.probe.head,
      fit: { onMetrics: (step, rec) => run.logMetrics(numeric(rec, 'fit/'), fitStepBase + step) },
      onProgress: progress || undefined,
      onRendered: ({ position, views, viewPositions, fitSeconds, renderSeconds }) => {
        fitTimes.push(fitSeconds);
        renderTimes.push(renderSeconds);
        fitStepBase += config.training.latentFit.steps;
        if (position === 0) {
          const chunks = pointCloudViews(viewPositions.length).map((k) => ({ points: views[k].points, labels: views[k].labels! }));
          const ply = join(rendersDir, `pointcloud_${test.instances[0].id.slice(0, 8)}.ply`);
          const n = writeLabelledPointCloudPly(ply, chunks, test.numClasses);
          renders.push(ply);
          log(`point cloud: ${n} labelled points → ${ply}`);
        }
      },
    });
    const evalT = performance.now();
    const results = await evaluate({
      split: test,
      side,
      protocol: 'single',
      predictor,
      method: `srn+${config.training.probe.head}`,
      majorityClass: majority,
      cache,
      backend: { ...backend, description: describeBackend(backend) },
      config: configSummary(config),
      onProgress: (p) => {
        if (!args.quiet) log(`eval: ${p.instance}/${p.instances} objects, ${p.images} images, running mIOU ${(100 * p.mIOU).toFixed(1)}% (${p.elapsedSeconds.toFixed(0)} s)`);
        run.logMetric('eval/running_mIOU', p.mIOU, p.instance);
      },
      onInstance: ({ position, instance, viewPositions, prediction, gt }) => {
        if (position >= figureInstances) return;
        const obs = viewPositions.indexOf(65);
        const rows = figureViews(viewPositions.length, obs >= 0 ? obs : 0).map((k) => ({
          predRgba: prediction.rgba?.[k], gtRgba: gt[k].rgba, predLabels: prediction.labels[k], gtLabels: gt[k].labels!,
        }));
        const png = join(rendersDir, `test_${String(position).padStart(2, '0')}_${instance.id.slice(0, 8)}.png`);
        writeComparisonGrid(png, { inputRgba: gt[obs >= 0 ? obs : 0].rgba, rows, numClasses: test.numClasses, classNames: test.classNames, title: `${instance.id.slice(0, 8)}: fitted from one view, rendered at novel poses` });
        renders.push(png);
      },
    });
    timings.evalSeconds = secs(evalT);
    timings.meanFitSecondsPerObject = mean(fitTimes);
    timings.meanRenderSecondsPerObject = mean(renderTimes);
    timings.totalSeconds = secs(t0);

    const bar = {
      allBackgroundMIOU: results.trivial.allBackground.mIOU,
      majorityPartMIOU: results.trivial.majorityPart?.mIOU ?? null,
      srnMIOU: results.mIOU,
      marginOverBest: results.mIOU - Math.max(results.trivial.allBackground.mIOU, results.trivial.majorityPart?.mIOU ?? -Infinity),
    };
    const full = {
      ...results,
      timings: { ...results.timings, ...timings },
      qualityBar: { ...bar, pass: bar.marginOverBest > 0 },
      training: {
        pretrainSteps: pre.step,
        pretrainFinalLoss: preLoss,
        probeSteps: probe.step,
        probeFinalLoss: probe.history.length ? mean(probe.history.slice(-20).map((r) => r.loss)) : null,
        fewShot: { method: sel.method, allClassesRule, instances: sel.instanceIds, views: fs.views, images: labelled.length, classPixelCounts: sel.classPixelCounts },
        latentFitSteps: config.training.latentFit.steps,
        latentFitObjectsPerStep: config.training.latentFit.objectsPerStep,
      },
      renders,
      checkpoints: { pretrain: ckPretrain, probe: join(ckDir, 'probe') },
      tracking: { uri: tracker.uri, runId: run.runId, experiment: tracker.experimentName },
    };
    writeResultsJson(resultsPath, full);
    writeJsonAtomic(join(runDir, 'config.json'), config);

    run.logMetrics({
      ...evalMetrics(results, 'eval/', { trivial: true, perClass: true }),
      ...Object.fromEntries(Object.entries(timings).map(([k, v]) => [`time/${k}`, v])),
    });
    await run.logArtifact(resultsPath);
    await run.logArtifact(rendersDir, 'renders');
    ok = true;

    console.log(formatResults(results));
    console.log(`  quality bar: SRN mIOU ${pct(bar.srnMIOU)} vs all-background ${pct(bar.allBackgroundMIOU)}, majority part ${pct(bar.majorityPartMIOU)} → ${bar.marginOverBest > 0 ? 'above' : 'NOT above'} both`);
    console.log(`  time: total ${timings.totalSeconds.toFixed(0)} s (data ${timings.dataSeconds.toFixed(0)}, pre-train ${timings.pretrainSeconds.toFixed(0)}, probe ${timings.probeSeconds.toFixed(0)}, fit+eval ${timings.evalSeconds.toFixed(0)}; ${timings.meanFitSecondsPerObject.toFixed(1)} s per single-view fit, ${config.training.latentFit.objectsPerStep} objects per step)`);
    console.log(`results:     ${resultsPath}`);
    console.log(`renders:     ${rendersDir} (${renders.length} files)`);
    console.log(`checkpoints: ${ckDir}`);
    console.log(`tracking:    ${tracker.uri} (experiment ${tracker.experimentName}, run ${run.runId})`);
    const ui = (await import('../tracking/ui_link')).mlflowUiLine(tracker.uri, run.experimentId, run.runId);
    if (ui) console.log(ui);
    model.dispose();
    return { ok, runDir, resultsPath };
  } catch (e) {
    // The reason (e.g. the step and loss term that went NaN) goes on the FAILED run, not only to stderr.
    if (!interrupted) await run.setTag(FAILURE_TAG, (e as Error).message.slice(0, 4000)).catch(() => undefined);
    throw e;
  } finally {
    await run.end(ok ? 'FINISHED' : interrupted ? 'KILLED' : 'FAILED');
    await tracker.close();
  }
}

function numeric(rec: object, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec)) if (typeof v === 'number' && Number.isFinite(v)) out[prefix + k] = v;
  return out;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function pct(v: number | null): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`;
}

/** The config fields that identify a run in results.json. */
function configSummary(c: import('../config/types').SrnConfig) {
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

/**
 * The pre-training checkpoint shipped in the repo for this preset, class and seed
 * (`pretrained/<preset>-<class>-seed<seed>`, see pretrained/README.md). Used only when the run matches how
 * it was made: the preset's training-object count, data resolution and pre-training steps.
 */
function shippedCheckpoint(args: QuickstartArgs, config: SrnConfig, resolution: number): string | undefined {
  const dir = resolve(__dirname, '..', '..', 'pretrained', `${args.preset}-${args.className.toLowerCase()}-seed${config.seed}`);
  const preset = presetConfig(args.preset);
  const matches =
    config.data.maxTrainInstances === preset.data.maxTrainInstances && resolution === preset.data.renderResolution && args.steps.pretrain === undefined;
  return matches && existsSync(join(dir, 'manifest.json')) ? dir : undefined;
}
