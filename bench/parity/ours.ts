/**
 * Our side of a parity run: the library's own stage (pretrain or trainSemantic) on the same split, side,
 * batch size and step count, then optionally the single-view fit; timed per step the way theirs is (wall time
 * between consecutive steps, so data loading is included on both sides).
 */
import type { SrnConfig } from '../../lib/config/types';
import type { SplitInfo } from '../../lib/data/types';
import { loadView, ViewCache } from '../../lib/data/view_loader';
import { SrnModel } from '../../lib/srn/model';
import { type ObservedView, splitSource } from '../../lib/training/data';
import { fitLatentCodes, fitLinearProbe, pretrain, trainSemantic } from '../../lib/training/stages';
import { saveCheckpoint } from '../../lib/training/checkpoint';
import type { FitRun, ParityRun, ProbeRun } from './config_map';
import { psnrFromMse, type StepMetrics } from './metrics';

/** The preset with the run's schedule (one stage at run.side) for the stage being compared. */
export function oursConfig(base: SrnConfig, run: ParityRun, numClasses: number): SrnConfig {
  const stage = { ...base.training[run.stage], schedule: [{ side: run.side, batchSize: run.batchSize, steps: run.steps }] };
  return {
    ...base,
    model: { ...base.model, numClasses },
    training: { ...base.training, [run.stage]: stage },
  };
}

/** Trains our side; the model is returned for the fit when `keepModel` (the caller disposes it). */
export async function trainOurs(config: SrnConfig, run: ParityRun, info: SplitInfo, onStep?: (m: StepMetrics) => void, keepModel = false): Promise<{ steps: StepMetrics[]; parameters: number; model?: SrnModel }> {
  const model = new SrnModel(config.model, { numInstances: Math.max(...info.instances.map((i) => i.index)) + 1, seed: config.seed });
  let parameters = 0;
  const data = splitSource(info, { seed: `${config.seed}/${run.stage}`, skipLabels: run.stage === 'pretrain', cache: new ViewCache(256 * 2 ** 20) });
  const steps: StepMetrics[] = [];
  let prev = performance.now();
  const stageFn = run.stage === 'pretrain' ? pretrain : trainSemantic;
  try {
    const res = await stageFn(config, model, data, {
      onProgress: false,
      onMetrics: (step, rec) => {
        const now = performance.now();
        const mse = rec.img ?? NaN;
        const m: StepMetrics = { step, loss: rec.loss, mse, psnr: psnrFromMse(mse), seconds: (now - prev) / 1000 };
        prev = now;
        steps.push(m);
        onStep?.(m);
      },
    });
    res.adam?.dispose();
    parameters = model.parameterCounts().total; // after the stage: trainSemantic adds the U-Net head
  } catch (e) {
    model.dispose();
    throw e;
  }
  if (!keepModel) model.dispose();
  return { steps, parameters, model: keepModel ? model : undefined };
}

/** The single-view fit of `fit.objects` test objects in one group (their joint run), observed view `fit.view`. */
export async function fitOurs(config: SrnConfig, model: SrnModel, run: ParityRun, fit: FitRun, test: SplitInfo, onStep?: (m: StepMetrics) => void): Promise<StepMetrics[]> {
  const objects: ObservedView[][] = test.instances.slice(0, fit.objects).map((inst, pos) => {
    if (inst.views.length <= fit.view) throw new Error(`${inst.dir}: ${inst.views.length} views, the fit observes view ${fit.view} (generate the test split with --views 251)`);
    return [{ instanceIndex: pos, view: loadView(test, pos, fit.view, run.side, { skipLabels: true, skipDepth: true }), viewIndex: fit.view }];
  });
  const cfg: SrnConfig = { ...config, training: { ...config.training, latentFit: { ...config.training.latentFit, steps: fit.steps, side: run.side, batchSize: 1, objectsPerStep: fit.objects } } };
  const steps: StepMetrics[] = [];
  let prev = performance.now();
  await fitLatentCodes(cfg, model, objects, {
    onProgress: false,
    onMetrics: (_done, rec) => {
      const now = performance.now();
      const mse = rec.img ?? NaN;
      const m: StepMetrics = { step: steps.length + 1, loss: rec.loss, mse, psnr: psnrFromMse(mse), seconds: (now - prev) / 1000 };
      prev = now;
      steps.push(m);
      onStep?.(m);
    },
  });
  return steps;
}

/**
 * The linear probe on the first `probe.instances` training objects' views `probe.views` (positions in the full
 * sorted lists of `info`), with their training codes, at run.side. Our probe computes the frozen features once
 * (config.training.probe.cacheFeatures); that time is in the first step's seconds.
 */
/** `saveTo`: a checkpoint of the SRN with its trained probe, which `semantic-srn eval` scores beside theirs (import-authors). */
export async function probeOurs(config: SrnConfig, model: SrnModel, run: ParityRun, probe: ProbeRun, info: SplitInfo, onStep?: (m: StepMetrics) => void, saveTo?: string): Promise<{ steps: StepMetrics[]; featureSeconds: number }> {
  const views: ObservedView[] = [];
  info.instances.slice(0, probe.instances).forEach((inst, pos) => {
    for (const v of probe.views) {
      const view = loadView(info, pos, v, run.side, { skipDepth: true });
      if (!view.labels) throw new Error(`${inst.dir}: view ${v} has no seg/ labels (the probe needs them)`);
      views.push({ instanceIndex: inst.index, view, viewIndex: v });
    }
  });
  const cfg: SrnConfig = { ...config, training: { ...config.training, probe: { ...config.training.probe, steps: probe.steps, side: run.side } } };
  const steps: StepMetrics[] = [];
  let prev = performance.now();
  const res = await fitLinearProbe(cfg, model, views, {
    onProgress: false,
    onMetrics: (step, rec) => {
      const now = performance.now();
      steps.push({ step, loss: rec.loss, mse: NaN, psnr: NaN, seconds: (now - prev) / 1000 });
      prev = now;
      onStep?.(steps[steps.length - 1]);
    },
  });
  if (saveTo) saveCheckpoint(saveTo, { config: cfg, model, stage: 'probe', step: probe.steps, weightsOnly: true });
  model.removeHead(res.head.kind);
  return { steps, featureSeconds: res.featureSeconds };
}
