/**
 * Supplement Fig. 1: mIOU against the number of labelled objects × views. The SRN is pre-trained once
 * (shared) and the test codes are fitted once from view 65; their features at the evaluated views are
 * rendered once and cached, so each sweep point only trains a fresh linear probe on its labelled subset
 * (`selectLabelSubset`, nested across points for one seed) and applies it to the cached features.
 * One parent run, one child run per (method, point) with the per-seed mIOU as steps. Every finished (method, point,
 * seed) record is journalled in the run folder: an interrupted sweep resumes at the next record (and skips the fits
 * when only U-Net records are left).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadView } from '../data/view_loader';
import { selectLabelSubset } from '../data/sampler';
import { SINGLE_VIEW_INDEX } from '../config/defaults';
import { viewPositions } from '../eval/protocols';
import { writeResultsJson } from '../eval/runner';
import { SegmentationScores } from '../metrics/segmentation';
import { miouVsLabelsSpec } from '../plotting/vegalite_specs';
import { saveFigure } from '../plotting/save';
import { writeComparisonGrid } from '../plotting/comparison_grid';
import { summarizeSeeds, type LabelSweepRecord, type SeedSummary } from '../plotting/stats';
import { renderViews } from '../srn/render';
import { fitLinearProbe } from '../training/stages';
import {
  backendSummary,
  ensurePretrained,
  evalViewIndices,
  experimentRunDir,
  experimentSrnConfig,
  fitTestCodes,
  prepareData,
  protocolViews,
  say,
  throwIfInterrupted,
  withExperimentRun,
  type ExperimentOptions,
  type ExperimentOutput,
  type PretrainInfo,
  experimentOutput,
} from './common';
import { sweepUnetConfig } from '../baselines/sweep_unet';
import { loadBaselines } from './baselines_bridge';
import { observedViews } from '../pipeline/few_shot';
import type { ExperimentConfig } from './types';
import { pairedScoreDifference, signedCI, type PercentCI } from '../metrics/stats';
import { type CodeVersions, staleSweepRecord, UNET_CODE } from '../eval/result_code';
import { RecordJournal } from '../util/record_journal';
import { canonicalJson } from '../util/canonical_json';

const recordKey = (method: string, instances: number, views: number, seed: number) => `${method}/${instances}x${views}/seed${seed}`;

/** Views of the first test object a record's figure shows (evenly spaced over its evaluated views). */
const FIGURE_VIEWS = 4;

/** A record's figure of the first test object, relative to the sweep's folder: `renders/<method>-<I>x<V>-seed<S>.png`. */
export function sweepRenderName(method: string, instances: number, views: number, seed: number): string {
  return join('renders', `${method.replace(/[^\w-]+/g, '-')}-${instances}x${views}-seed${seed}.png`);
}

export interface SweepRecord extends LabelSweepRecord {
  seed: number;
  instances: number;
  views: number;
  shapeMIOU: number;
  /** The record's wall seconds (probe or U-Net, scoring); a resumed dropout search adds its earlier candidates' training. */
  probeSeconds: number;
  /** The U-Net's dropout (chosen on validation unless the config fixes it); null for SRN+linear. */
  dropout: number | null;
  /** The U-Net's: the code versions its numbers depend on (lib/eval/result_code.ts); absent on older records. */
  codeVersions?: CodeVersions;
}

/** Method `a` minus method `b` at one point, paired by seed, in points (percent). */
export interface SweepDifference {
  instances: number;
  views: number;
  numLabels: number;
  /** The seeds both methods have at this point. */
  seeds: number[];
  mIOU: PercentCI | null;
  shapeMIOU: PercentCI | null;
}

/**
 * `a` − `b` per point, mean ± 95% CI over the seeds both have: a seed draws one labelled subset that both methods
 * train on, so the paired difference removes the spread of the draw that widens each method's own interval.
 */
export function sweepDifferences(records: readonly SweepRecord[], a: string, b: string, points: readonly { instances: number; views: number }[]): SweepDifference[] {
  return points.map((p) => {
    const of = (method: string) =>
      new Map(records.filter((r) => r.method === method && r.instances === p.instances && r.views === p.views).map((r) => [r.seed, { mIOU: r.miou, shapeMIOU: r.shapeMIOU }]));
    const d = pairedScoreDifference(of(a), of(b));
    return { instances: p.instances, views: p.views, numLabels: p.instances * p.views, seeds: d?.keys ?? [], mIOU: d?.mIOU ?? null, shapeMIOU: d?.shapeMIOU ?? null };
  });
}

export interface LabelCountSweepResult extends ExperimentOutput {
  records: SweepRecord[];
  summary: SeedSummary[];
  /** Methods asked for but not run, with the reason (e.g. the U-Net before lib/baselines exists). */
  skipped: { method: string; reason: string }[];
  pretrain: PretrainInfo;
  evalImages: number;
  /** SRN+linear − U-Net per point, paired by seed (both train on the seed's labelled subset); absent without both. */
  differences?: { a: string; b: string; points: SweepDifference[] };
}

export async function runLabelCountSweep(cfg: ExperimentConfig<'label-count-sweep'>, opts: ExperimentOptions = {}): Promise<LabelCountSweepResult> {
  const t0 = performance.now();
  const runDir = experimentRunDir(cfg, opts);
  // The U-Net selects its weights on validation images: synthetic data gets a val split of the size it uses.
  const valInstances = cfg.methods.includes('unet') ? sweepUnetConfig(cfg.preset, cfg.unet).data.valInstances : undefined;
  const data = await prepareData(cfg, opts, { valInstances });
  const config = experimentSrnConfig(cfg, data.train.numClasses);
  const C = data.test.numClasses;
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    const { model, info: pre } = await ensurePretrained(config, data, { ...opts, run }, cfg.seed);
    try {
      // Finished records of an interrupted run of this configuration and pre-training (key and steps).
      const fingerprint = { className: cfg.data.className, scale: cfg.scale, pretrain: [pre.key, pre.steps], points: cfg.points, seeds: cfg.seeds, evalViewEvery: cfg.evalViewEvery, unet: cfg.unet, test: data.test.instances.length };
      const journal = new RecordJournal<SweepRecord>(join(runDir, 'records.partial.json'), fingerprint, (r) => recordKey(r.method, r.instances, r.views, r.seed));
      if (journal.setAside) say(opts, `sweep: set aside a journal of another configuration or pre-training: ${journal.setAside}`);
      const staleNote = (n: number, from: string, why: string) => say(opts, `sweep: ${n} U-Net record(s) of ${from} are stale and run again (${why})`);
      const staleInJournal = journal.discard((r) => staleSweepRecord(r) !== null);
      if (staleInJournal.length) staleNote(staleInJournal.length, journal.path, staleSweepRecord(staleInJournal[0])!);
      if (journal.opened === 'resumed') say(opts, `sweep: resuming with ${journal.size} finished record(s) from ${journal.path}`);
      // A sweep finished before with this configuration and pre-training is drawn again from its results, not rerun
      // (hours at 64²; a notebook pointed at the CLI's runs folder); a journal (a run in progress) goes first.
      const earlier = join(runDir, 'results.json');
      const earlierRecords = opts.rerun || journal.opened !== 'new' ? undefined : finishedSweepRecords(earlier, fingerprint);
      const finished = earlierRecords?.filter((r) => staleSweepRecord(r) === null);
      if (finished && earlierRecords) {
        journal.reuse(finished);
        say(opts, `sweep: finished before with this configuration and pre-training: ${finished.length} record(s) from ${earlier} reused (--rerun runs it again)`);
        const stale = earlierRecords.filter((r) => staleSweepRecord(r) !== null);
        if (stale.length) staleNote(stale.length, earlier, staleSweepRecord(stale[0])!);
      }
      const pending = (method: string) => cfg.points.some((p) => cfg.seeds.some((seed) => !journal.get(recordKey(method, p.instances, p.views, seed))));
      // Test codes once (single view), then features and GT labels of the evaluated views, once; the codes and
      // features only while SRN+linear records are missing.
      const needFeatures = cfg.methods.includes('srn+linear') && pending('srn+linear');
      const positions = data.test.instances.map((_, i) => i);
      if (needFeatures) say(opts, `sweep: fitting ${positions.length} test codes from view ${SINGLE_VIEW_INDEX}`);
      // Journalled: a sweep resumed in a later session does not refit them (~35 min at 64²).
      const codesJournal = join(runDir, 'test-codes.partial.json');
      const codes = needFeatures ? await fitTestCodes(config, model, data.test, positions, 'single', opts, codesJournal) : [];
      const side = config.inference.side;
      const numViews = Math.min(...data.test.instances.map((i) => i.views.length));
      const evalFiles = evalViewIndices(numViews, cfg.evalViewEvery, protocolViews(data.test, 'single'));
      const F = model.cfg.phiWidth;
      const feats: Float32Array[] = [];
      const gts: Int32Array[] = [];
      // The first test object's figure: a few of its evaluated views (indices into gts), their RGB and the observed view.
      const firstViews = viewPositions(data.test.instances[0], evalFiles).length;
      const figIdx = [...new Set(Array.from({ length: Math.min(FIGURE_VIEWS, firstViews) }, (_, k) => Math.floor((k * firstViews) / Math.min(FIGURE_VIEWS, firstViews))))];
      const figRgba: Float32Array[] = [];
      const observedRgba = loadView(data.test, 0, viewPositions(data.test.instances[0], protocolViews(data.test, 'single'))[0], side, { skipDepth: true }).rgba;
      for (const pos of positions) {
        const vp = viewPositions(data.test.instances[pos], evalFiles);
        const views = vp.map((p) => loadView(data.test, pos, p, side, { skipDepth: true }));
        if (pos === 0) for (const i of figIdx) figRgba.push(views[i].rgba);
        for (const v of views) gts.push(v.labels!);
        if (!needFeatures) continue;
        const rendered = renderViews(model, codes[pos], views.map((v) => v.pose), views[0].intrinsics, { side, chunkRays: config.inference.chunkRays, features: true });
        for (const r of rendered) feats.push(r.features!);
      }
      if (needFeatures) say(opts, `sweep: cached features of ${feats.length} test images at ${side}²`);

      const records: SweepRecord[] = [];
      // A U-Net record's dropout search, journalled per candidate so that a stopped record resumes at the next one;
      // removed once the record is in the journal.
      const unetGridDir = (instances: number, views: number, seed: number) => join(runDir, 'unet-grid', `${instances}x${views}-seed${seed}`);
      const skipped: { method: string; reason: string }[] = [];
      const baselines = cfg.methods.includes('unet') ? await loadBaselines() : undefined;
      for (const method of cfg.methods) {
        if (method === 'unet' && !baselines?.sweepUnet) {
          skipped.push({ method, reason: baselines?.reason ?? 'lib/baselines has no U-Net sweep entry point' });
          continue;
        }
        for (const point of cfg.points) {
          const numLabels = point.instances * point.views;
          const child = await (opts.tracker ?? tracker).startRun({
            name: `${cfg.experiment}/${cfg.scale}/${method}/${point.instances}x${point.views}`,
            parent: run,
            tags: { experiment: cfg.experiment, scale: cfg.scale, method },
            params: { method, instances: point.instances, views: point.views, labelledImages: numLabels, seeds: cfg.seeds },
          });
          try {
            for (const seed of cfg.seeds) {
              const done = journal.get(recordKey(method, point.instances, point.views, seed));
              if (done) {
                records.push(done);
                child.logMetrics({ mIOU: done.miou, shapeMIOU: done.shapeMIOU }, seed);
                continue;
              }
              throwIfInterrupted(opts, `sweep ${method} ${point.instances}×${point.views} seed ${seed}`);
              const subset = selectLabelSubset(data.train, { instances: point.instances, views: point.views, seed });
              const t = performance.now();
              let predict: (i: number) => Int32Array;
              let dropout: number | null = null;
              let resumedSeconds = 0;
              if (method === 'srn+linear') {
                const labelled = observedViews(subset, config.training.probe.side);
                const probeConfig = { ...config, seed: config.seed * 1000 + seed };
                const probe = await fitLinearProbe(probeConfig, model, labelled, { onProgress: opts.stepProgress ?? false, signal: opts.signal });
                predict = (i) => tf.tidy(() => tf.argMax(probe.head.apply(tf.tensor3d(feats[i], [1, side * side, F])), -1).dataSync() as Int32Array);
              } else {
                const grid = { dir: unetGridDir(point.instances, point.views, seed), fingerprint };
                const fn = await baselines!.sweepUnet!({ config, train: subset, test: data.test, evalViews: evalFiles, side, seed, options: cfg.unet, onProgress: opts.stepProgress || undefined, signal: opts.signal, journal: grid, log: (m) => say(opts, `sweep: ${m}`) });
                predict = fn;
                dropout = fn.dropout ?? null;
                resumedSeconds = fn.resumedSeconds ?? 0;
              }
              const scores = new SegmentationScores(C);
              const figPred = new Map<number, Int32Array>();
              for (let i = 0; i < gts.length; i++) {
                const pred = predict(i);
                if (figIdx.includes(i)) figPred.set(i, pred);
                scores.add(pred, gts[i]);
              }
              const s = scores.summary();
              // Only SRN+linear sees the observed view; a U-Net is given each evaluated view's true RGB.
              mkdirSync(join(runDir, 'renders'), { recursive: true });
              writeComparisonGrid(join(runDir, sweepRenderName(method, point.instances, point.views, seed)), {
                inputRgba: method === 'srn+linear' ? observedRgba : undefined,
                rows: figIdx.map((i, k) => ({ predLabels: figPred.get(i)!, gtLabels: gts[i], gtRgba: figRgba[k] })),
                numClasses: C,
                classNames: data.test.classNames,
                title: `${method}, ${point.instances} × ${point.views} labelled, seed ${seed}: ${data.test.instances[0].id.slice(0, 8)}`,
              });
              const rec: SweepRecord = { method, numLabels, seed, miou: s.mIOU, shapeMIOU: s.shapeMIOU, instances: point.instances, views: point.views, probeSeconds: (performance.now() - t) / 1000 + resumedSeconds, dropout, ...(method === 'unet' ? { codeVersions: { ...UNET_CODE } } : {}) };
              records.push(rec);
              journal.add(rec);
              if (method === 'unet') rmSync(unetGridDir(point.instances, point.views, seed), { recursive: true, force: true });
              child.logMetrics({ mIOU: s.mIOU, shapeMIOU: s.shapeMIOU }, seed);
              say(opts, `sweep: ${method} ${point.instances}×${point.views} (${numLabels} images) seed ${seed}: mIOU ${(100 * s.mIOU).toFixed(1)}%${dropout === null ? '' : ` (dropout ${dropout})`}`);
            }
            const mine = records.filter((r) => r.method === method && r.numLabels === numLabels && r.instances === point.instances);
            const [sum] = summarizeSeeds(mine);
            child.logMetrics({ mIOU_mean: sum.mean, mIOU_std: sum.std, mIOU_ci95: sum.ci95 });
            run.logMetrics({ [`${method.replace('+', '_')}/mIOU_mean`]: sum.mean }, numLabels);
            await child.end('FINISHED');
          } catch (e) {
            await child.end('FAILED');
            throw e;
          }
        }
      }

      const summary = summarizeSeeds(records, 'ci95');
      const differences = cfg.methods.includes('srn+linear') && cfg.methods.includes('unet') ? { a: 'srn+linear', b: 'unet', points: sweepDifferences(records, 'srn+linear', 'unet', cfg.points) } : undefined;
      for (const d of differences?.points ?? []) {
        if (!d.mIOU) continue;
        run.logMetrics({ 'srn_linear_minus_unet/mIOU_mean': d.mIOU.mean / 100, ...(d.mIOU.ci95 === null ? {} : { 'srn_linear_minus_unet/mIOU_ci95': d.mIOU.ci95 / 100 }) }, d.numLabels);
        say(opts, `sweep: SRN+linear − U-Net at ${d.numLabels} image(s), paired by seed: ${signedCI(d.mIOU)} points mIOU (n=${d.mIOU.n})`);
      }
      const figures: Record<string, string> = {};
      if (records.length) {
        const fig = await saveFigure(
          miouVsLabelsSpec(records, { title: `mIOU vs labelled images (${cfg.seeds.length} seeds, mean ± 95% CI)`, xTitle: 'labelled images (objects × views)', logX: true, spread: 'ci95' }),
          join(runDir, 'miou_vs_labels'),
        );
        figures.miouVsLabels = fig.png;
        for (const f of Object.values(fig)) await run.logArtifact(f, 'figures');
      }
      const out: LabelCountSweepResult = {
        ...experimentOutput(cfg, runDir, figures, tracker, run, t0),
        records,
        summary,
        skipped,
        pretrain: pre,
        evalImages: gts.length,
        ...(differences ? { differences } : {}),
      };
      const resultsPath = out.resultsPath;
      writeResultsJson(resultsPath, {
        schema: 'semantic-srn/label-count-sweep@1',
        experiment: cfg.experiment,
        scale: cfg.scale,
        configSource: cfg.source,
        records,
        // What the records belong to: a later run of the same sweep reuses them (finishedSweepRecords).
        recordsFingerprint: fingerprint,
        summary,
        ...(differences ? { differences } : {}),
        skipped,
        evalImages: gts.length,
        evalViews: evalFiles,
        pretrain: { ...pre, losses: undefined },
        backend: backendSummary(),
        figures,
        totalSeconds: out.seconds,
        tracking: out.tracking,
        createdAt: new Date().toISOString(),
      });
      journal.remove();
      rmSync(codesJournal, { force: true });
      await run.logArtifact(resultsPath);
      return out;
    } finally {
      model.dispose();
    }
  });
}

/** The records of a finished sweep's results.json when it recorded this fingerprint; undefined otherwise (or unreadable). */
export function finishedSweepRecords(resultsPath: string, fingerprint: unknown): SweepRecord[] | undefined {
  if (!existsSync(resultsPath)) return undefined;
  try {
    const doc = JSON.parse(readFileSync(resultsPath, 'utf8')) as { recordsFingerprint?: unknown; records?: unknown };
    return Array.isArray(doc.records) && canonicalJson(doc.recordsFingerprint) === canonicalJson(fingerprint) ? (doc.records as SweepRecord[]) : undefined;
  } catch {
    return undefined;
  }
}
