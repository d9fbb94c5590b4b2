/**
 * Table 1 column 2, Figs 3–4 (reference §4.1–4.6): pre-train on RGB (shared), fit the linear probe on
 * 10 × 3 labelled images, fit a code per test object from one view (65), render every evaluated view
 * with the probe and score mIOU / shape-mIOU next to the trivial predictors.
 */
import { join } from 'node:path';
import { evalMetrics, writeResultsJson, type EvalResults } from '../eval/runner';
import { table1Entry, type Table1Entry } from '../eval/table1';
import { evaluateStage } from '../pipeline/srn_stages';
import { lossCurvesSpec, perClassIouSpec } from '../plotting/vegalite_specs';
import { saveFigure } from '../plotting/save';
import type { ClassIouRecord } from '../plotting/vegalite_specs';
import {
  backendSummary,
  ensurePretrained,
  ensureProbe,
  evalViewIndices,
  experimentRunDir,
  experimentSrnConfig,
  prepareData,
  protocolViews,
  say,
  withExperimentRun,
  type ExperimentOptions,
  type ExperimentOutput,
  type PretrainInfo,
  type ProbeInfo,
  experimentOutput,
} from './common';
import { configFingerprint } from './finished_run';
import type { ExperimentConfig } from './types';

export interface SemiSupervisedProbeResult extends ExperimentOutput {
  mIOU: number;
  shapeMIOU: number;
  psnr: number | null;
  perClassIoU: Record<string, number | null>;
  trivial: { allBackgroundMIOU: number; majorityPartMIOU: number | null };
  pretrain: PretrainInfo;
  probe: ProbeInfo;
  /** Comparison grids (input | predicted RGB | GT RGB | predicted labels | GT labels), one per figure object. */
  renders: string[];
  pointCloud: string | null;
  counts: EvalResults['counts'];
  /** Table 1's column 2 (single view only; the multi-view fit is the supplement's multi-shot column, not in Table 1). */
  table1: Table1Entry | null;
  timings: { dataSeconds: number; evalSeconds: number; secondsPerObject: number };
}

export async function runSemiSupervisedProbe(cfg: ExperimentConfig<'semi-supervised-probe'>, opts: ExperimentOptions = {}): Promise<SemiSupervisedProbeResult> {
  const t0 = performance.now();
  const runDir = experimentRunDir(cfg, opts);
  const data = await prepareData(cfg, opts);
  const config = experimentSrnConfig(cfg, data.train.numClasses);
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    const { model, info: pre } = await ensurePretrained(config, data, { ...opts, run }, cfg.seed);
    try {
      const probe = await ensureProbe(config, model, data, pre, { ...opts, run });
      const side = config.inference.side;
      const observed = protocolViews(data.test, cfg.protocol);
      const numViews = Math.min(...data.test.instances.map((i) => i.views.length));
      const evalViews = evalViewIndices(numViews, cfg.evalViewEvery, observed);
      const rendersDir = join(runDir, 'renders');
      say(opts, `eval: ${data.test.instances.length} test objects × ${evalViews.length} views at ${side}², fitted from ${cfg.protocol === 'single' ? `view ${observed[0]}` : `${observed.length} views`}`);
      const ev = await evaluateStage(
        config,
        model,
        data.test,
        {
          protocol: { name: cfg.protocol, observedViews: observed },
          evalViews,
          majorityClass: probe.majorityClass,
          backend: backendSummary(),
          figures: { dir: rendersDir, instances: cfg.figureInstances, views: cfg.figureViews, note: `${cfg.protocol} view, ${cfg.scale}${cfg.scale === 'small' ? ': smoke test' : ''}` },
          pointCloud: { dir: rendersDir, stride: Math.max(1, Math.round(evalViews.length / 10)) },
          journal: join(runDir, 'results.json'),
          onObject: (p) => say(opts, `eval: ${p.instance}/${p.instances} objects, running mIOU ${(100 * p.mIOU).toFixed(1)}%`),
          signal: opts.signal,
        },
        { run, progress: opts.stepProgress ?? false, log: (m) => say(opts, m) },
      );
      const { results, pointCloud } = ev;
      const renders = ev.renders.filter((r) => r !== pointCloud);
      const evalSeconds = ev.seconds;

      const figures: Record<string, string> = {};
      const classRecords: ClassIouRecord[] = Object.entries(results.perClassIoU).map(([className, iou]) => ({ method: results.method, className, iou: iou ?? 0 }));
      const iouFig = await saveFigure(perClassIouSpec(classRecords, { title: `Per-class IoU, ${results.method} (${cfg.scale})`, classOrder: data.test.classNames }), join(runDir, 'per_class_iou'));
      figures.perClassIou = iouFig.png;
      const curves = [{ name: 'pre-training', values: pre.losses }, { name: 'linear probe', values: probe.losses }].filter((c) => c.values.length > 0);
      if (curves.length) figures.lossCurves = (await saveFigure(lossCurvesSpec(curves, { title: 'Training losses', logY: true }), join(runDir, 'loss_curves'))).png;
      renders.forEach((r, i) => (figures[`comparison${i}`] = r));

      const table1 = cfg.protocol !== 'single' ? null : table1Entry('srn-linear', { method: results.method, protocol: cfg.protocol, className: data.test.className, mIOU: results.mIOU, shapeMIOU: results.shapeMIOU, seed: config.seed });
      const out: SemiSupervisedProbeResult = {
        ...experimentOutput(cfg, runDir, figures, tracker, run, t0),
        mIOU: results.mIOU,
        shapeMIOU: results.shapeMIOU,
        psnr: results.psnr,
        perClassIoU: results.perClassIoU,
        trivial: { allBackgroundMIOU: results.trivial.allBackground.mIOU, majorityPartMIOU: results.trivial.majorityPart?.mIOU ?? null },
        pretrain: pre,
        probe,
        renders,
        pointCloud,
        counts: results.counts,
        table1,
        timings: { dataSeconds: data.generatedSeconds, evalSeconds, secondsPerObject: evalSeconds / data.test.instances.length },
      };
      const resultsPath = out.resultsPath;
      writeResultsJson(resultsPath, {
        ...results,
        experiment: cfg.experiment,
        scale: cfg.scale,
        seed: config.seed,
        pretrainSeed: cfg.seed,
        configSource: cfg.source,
        configFingerprint: configFingerprint(cfg, opts),
        table1,
        pretrain: { ...pre, losses: undefined },
        probe: { ...probe, losses: undefined },
        renders,
        pointCloud,
        figures,
        totalSeconds: out.seconds,
        tracking: out.tracking,
      });
      run.logMetrics({ ...evalMetrics(results, 'eval/', { trivial: true }), 'time/total_seconds': out.seconds });
      await run.logArtifact(resultsPath);
      await run.logArtifact(rendersDir, 'renders');
      for (const f of Object.values(iouFig)) await run.logArtifact(f, 'figures');
      return out;
    } finally {
      model.dispose();
    }
  });
}
