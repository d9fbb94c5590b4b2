/**
 * Fig. 6 (reference §4.5, §7.2): a fresh code per test object is fitted from one segmentation mask
 * (view 65) through each head of `cfg.heads` — the frozen linear head (8·CE, no latent or depth regulariser:
 * the semi-supervised "reverse" variant) and the fully supervised semantic SRN's U-Net head (8·CE with the
 * regularisers: the paper's figure) — then RGB and labels are rendered from new poses. Scores: mIOU of the
 * labels over the evaluated views and PSNR of the RGB, which the fit never saw.
 */
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { CodeJournal } from '../eval/code_journal';
import { pairedScoreDifference, percentCI, signedCI, type PercentCI } from '../metrics/stats';
import { loadView } from '../data/view_loader';
import { viewPositions } from '../eval/protocols';
import { writeResultsJson } from '../eval/runner';
import { PsnrScores } from '../metrics/psnr';
import { SegmentationScores } from '../metrics/segmentation';
import { renderViews } from '../srn/render';
import { fitLatentCodes } from '../training/stages';
import { labelsToImage } from '../plotting/label_images';
import { writeComparisonGrid } from '../plotting/comparison_grid';
import {
  backendSummary,
  ensurePretrained,
  ensureProbe,
  evalViewIndices,
  experimentRunDir,
  experimentSrnConfig,
  prepareData,
  say,
  throwIfInterrupted,
  withExperimentRun,
  type ExperimentOptions,
  type ExperimentOutput,
  type PretrainInfo,
  type ProbeInfo,
  experimentOutput,
} from './common';
import { configFingerprint } from './finished_run';
import { ensureSemantic } from '../pipeline/stage_cache';
import { type CodeVersions, UNET_CODE } from '../eval/result_code';
import { numericMetrics } from '../tracking/metric_record';
import type { SrnModel } from '../srn/model';
import type { SegHeadKind } from '../config/types';
import type { ExperimentConfig } from './types';

export interface MaskObjectResult {
  id: string;
  position: number;
  mIOU: number;
  shapeMIOU: number;
  psnr: number;
  /** Comparison grid: input mask | predicted RGB | GT RGB | predicted labels | GT labels per novel pose. */
  figure: string;
  fitLoss: number[];
}

export interface MaskReconstructionResult extends ExperimentOutput {
  objects: MaskObjectResult[];
  mIOU: number;
  shapeMIOU: number;
  psnr: number;
  maskView: number;
  novelViews: number[];
  /** The RGB pre-training under the linear probe (null when only the U-Net head was asked for). */
  pretrain: PretrainInfo | null;
  /** The linear probe (null when only the U-Net head was asked for). */
  probe: ProbeInfo | null;
  /** Per head fitted through (the top-level scores are the first: linear when asked); `perObjectMIOU`: mean ± 95% CI of the objects' mIOU. */
  heads: Partial<Record<'linear' | 'unet', { mIOU: number; shapeMIOU: number; psnr: number; perClassIoU: Record<string, number | null>; perObjectMIOU: PercentCI; objects: unknown[]; semantic?: unknown; codeVersions?: CodeVersions }>>;
  /** U-Net head − linear head per object, paired (maskHeadDifference); absent unless both heads ran. */
  headDifference?: NonNullable<ReturnType<typeof maskHeadDifference>>;
}

/**
 * The U-Net head minus the linear head per object (each fitted from the same mask), mean ± 95% CI over the objects
 * both scored, in points; null unless both heads scored an object.
 */
export function maskHeadDifference(
  linear: readonly Pick<MaskObjectResult, 'position' | 'mIOU' | 'shapeMIOU'>[],
  unet: readonly Pick<MaskObjectResult, 'position' | 'mIOU' | 'shapeMIOU'>[],
): { objects: number[]; mIOU: PercentCI; shapeMIOU: PercentCI | null } | null {
  const d = pairedScoreDifference(new Map(unet.map((o) => [o.position, o])), new Map(linear.map((o) => [o.position, o])));
  return d && { objects: d.keys, mIOU: d.mIOU, shapeMIOU: d.shapeMIOU };
}

/** A label map painted with the class palette, as RGBA in [-1, 1] (the input column of the figure). */
function maskAsRgba(labels: Int32Array, numClasses: number, side: number): Float32Array {
  const img = labelsToImage(labels, numClasses, side);
  return Float32Array.from(img.data, (v) => (2 * v) / 255 - 1);
}

export async function runMaskReconstruction(cfg: ExperimentConfig<'mask-reconstruction'>, opts: ExperimentOptions = {}): Promise<MaskReconstructionResult> {
  const t0 = performance.now();
  const runDir = experimentRunDir(cfg, opts);
  const data = await prepareData(cfg, opts);
  const base = experimentSrnConfig(cfg, data.train.numClasses);
  const config = cfg.fitSteps === null ? base : { ...base, training: { ...base.training, latentFit: { ...base.training.latentFit, steps: cfg.fitSteps } } };
  const C = data.test.numClasses;
  const numViews = Math.min(...data.test.instances.map((i) => i.views.length));
  if (cfg.maskView >= numViews) throw new Error(`${cfg.source}: scales.${cfg.scale}.maskView: view ${cfg.maskView} but the test objects have ${numViews} views`);
  const novel = Array.from({ length: cfg.novelViews }, (_, i) => Math.floor(((i + 0.5) * numViews) / cfg.novelViews)).map((v) => (v === cfg.maskView ? (v + 1) % numViews : v));
  const evalFiles = evalViewIndices(numViews, cfg.evalViewEvery);
  const fitSide = config.training.latentFit.side;
  const side = config.inference.side;
  // Each head's fitted codes (minutes an object at 64²), journalled until the results are written: a rerun after a
  // stop refits nothing it had fitted. Keyed by the weights with the heads (the fit reads them), seed, fit and view.
  const journalPath = (tag: string) => join(runDir, `mask-codes${tag || '_linear'}.partial.json`);
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    let fitStep = 0;
    /** Fits each object's code from its mask through `head` of `model`, renders and scores every evaluated view. */
    const reconstruct = async (model: SrnModel, head: SegHeadKind, tag: string) => {
      const all = new SegmentationScores(C, data.test.classNames.length === C ? data.test.classNames : undefined);
      const allPsnr = new PsnrScores();
      const objects: MaskObjectResult[] = [];
      const journal = new CodeJournal(journalPath(tag), { weights: model.digest({ heads: true }), seed: config.seed, latentFit: config.training.latentFit, target: 'mask', head, maskView: cfg.maskView }, data.test);
      if (journal.setAside) say(opts, `mask (${head} head): a journal of another configuration set aside as ${journal.setAside}`);
      if (journal.opened === 'resumed') say(opts, `mask (${head} head): ${journal.size} code(s) fitted before (${journal.path})`);
      // The head's running statistics (a U-Net head's BN; none for the linear head), which a mask fit in the
      // reference's train mode updates and every later render and fit of this run reads.
      const headState = Object.entries(model.head(head).namedState()).filter(([k]) => !model.params.get(k));
      for (const pos of cfg.instances) {
        const inst = data.test.instances[pos];
        const [maskPos] = viewPositions(inst, [cfg.maskView]);
        let kept = journal.get(pos);
        if (kept?.headState) {
          for (const [k, v] of headState) {
            const a = kept.headState[k];
            if (!Array.isArray(a) || a.length !== v.size) throw new Error(`${journal.path}: object ${pos} has no running statistics '${k}' of ${v.size} values`);
            const t = tf.tensor(a, v.shape);
            v.assign(t);
            t.dispose();
          }
        }
        if (!kept) {
          const obs = loadView(data.test, pos, maskPos, fitSide, { skipDepth: true });
          if (!obs.labels) throw new Error(`${inst.dir}: view ${cfg.maskView} has no seg/ label map`);
          say(opts, `mask: fitting a code of ${inst.id.slice(0, 8)} from the mask of view ${cfg.maskView} (${config.training.latentFit.steps} steps through the ${head} head)`);
          const t = performance.now();
          const fit = await fitLatentCodes(config, model, [[{ instanceIndex: 0, viewIndex: maskPos, view: obs }]], {
            target: 'mask',
            head,
            onMetrics: (step, rec) => run.logMetrics(numericMetrics(rec, `maskfit${tag}/`), fitStep + step),
            onProgress: opts.stepProgress ?? false,
            signal: opts.signal,
          });
          // A stopped fit returns its code part-way: never score it as a reconstruction.
          throwIfInterrupted(opts, `scoring ${inst.id.slice(0, 8)} (its mask fit was stopped part-way)`);
          kept = { code: fit.codes[0], fitSeconds: (performance.now() - t) / 1000, losses: fit.history[0].map((r) => r.loss) };
          journal.add(pos, kept.code, kept.fitSeconds, { losses: kept.losses, ...(headState.length ? { headState: Object.fromEntries(headState.map(([k, v]) => [k, Array.from(v.dataSync())])) } : {}) });
        }
        fitStep += config.training.latentFit.steps;
        const code = kept.code;
        const evalPos = viewPositions(inst, evalFiles);
        const gts = evalPos.map((p) => loadView(data.test, pos, p, side, { skipDepth: true }));
        const views = renderViews(model, code, gts.map((g) => g.pose), gts[0].intrinsics, { side, chunkRays: config.inference.chunkRays, head });
        const scores = new SegmentationScores(C);
        const ps = new PsnrScores();
        views.forEach((v, k) => {
          scores.add(v.labels!, gts[k].labels!);
          all.add(v.labels!, gts[k].labels!);
          ps.add(v.rgba, gts[k].rgba);
          allPsnr.add(v.rgba, gts[k].rgba);
        });
        // Figure rows: the novel poses.
        const novelPos = viewPositions(inst, novel);
        const ngt = novelPos.map((p) => loadView(data.test, pos, p, side, { skipDepth: true }));
        const nv = renderViews(model, code, ngt.map((g) => g.pose), ngt[0].intrinsics, { side, chunkRays: config.inference.chunkRays, head });
        const maskAtSide = loadView(data.test, pos, maskPos, side, { skipDepth: true }).labels!;
        const figure = join(runDir, `mask${tag}_${String(pos).padStart(2, '0')}_${inst.id.slice(0, 8)}.png`);
        writeComparisonGrid(figure, {
          inputRgba: maskAsRgba(maskAtSide, C, side),
          rows: nv.map((v, k) => ({ predRgba: v.rgba, gtRgba: ngt[k].rgba, predLabels: v.labels!, gtLabels: ngt[k].labels! })),
          numClasses: C,
          classNames: data.test.classNames,
          columnTitles: ['input mask', 'predicted RGB', 'ground-truth RGB', 'predicted labels', 'ground-truth labels'],
          title: `${inst.id.slice(0, 8)}: fitted from one label mask through the ${head} head (${cfg.scale}${cfg.scale === 'small' ? ': smoke test' : ''})`,
        });
        const s = scores.summary();
        objects.push({ id: inst.id, position: pos, mIOU: s.mIOU, shapeMIOU: s.shapeMIOU, psnr: ps.summary().psnr, figure, fitLoss: kept.losses ?? [] });
        say(opts, `mask (${head} head): ${inst.id.slice(0, 8)} mIOU ${(100 * s.mIOU).toFixed(1)}% over ${views.length} views, RGB PSNR ${ps.summary().psnr.toFixed(2)} dB`);
      }
      return { objects, scores: all.summary(), psnr: allPsnr.summary().psnr };
    };

    let linear: Awaited<ReturnType<typeof reconstruct>> | undefined;
    let probe: ProbeInfo | undefined;
    let pre: PretrainInfo | undefined;
    if (cfg.heads.includes('linear')) {
      const p = await ensurePretrained(base, data, { ...opts, run }, cfg.seed);
      pre = p.info;
      try {
        probe = await ensureProbe(base, p.model, data, pre, { ...opts, run });
        linear = await reconstruct(p.model, config.training.probe.head, '');
      } finally {
        p.model.dispose();
      }
    }
    let unet: (Awaited<ReturnType<typeof reconstruct>> & { semantic: { dir: string; reused: boolean; steps: number; seconds: number } }) | undefined;
    if (cfg.heads.includes('unet')) {
      // The pre-training seed: every replicate and the SRN+U-Net baseline share this one training.
      const sem = await ensureSemantic({ ...base, seed: cfg.seed }, data, { runsDir: opts.runsDir, run, log: (m) => say(opts, m), stepProgress: opts.stepProgress, signal: opts.signal });
      try {
        unet = { ...(await reconstruct(sem.model, 'unet', '_unet')), semantic: { dir: sem.dir, reused: sem.reused, steps: sem.steps, seconds: sem.seconds } };
      } finally {
        sem.model.dispose();
      }
    }
    {
      // The top-level scores are the first head's (linear when asked), as before heads were a choice.
      const first = (linear ?? unet)!;
      const objects = first.objects;
      const s = first.scores;
      const figures: Record<string, string> = Object.fromEntries([
        ...(linear?.objects ?? []).map((o, i) => [`object${i}`, o.figure]),
        ...(unet?.objects ?? []).map((o, i) => [`unet_object${i}`, o.figure]),
      ]);
      const headResult = (h: typeof linear) =>
        h && {
          mIOU: h.scores.mIOU,
          shapeMIOU: h.scores.shapeMIOU,
          psnr: h.psnr,
          perClassIoU: Object.fromEntries(h.scores.classNames.map((n, c) => [n, h.scores.perClassIoU[c]])),
          perObjectMIOU: percentCI(h.objects.map((o) => o.mIOU)),
          objects: h.objects.map((o) => ({ ...o, fitLoss: undefined, finalFitLoss: o.fitLoss.at(-1) ?? null })),
        };
      const headDifference = linear && unet ? maskHeadDifference(linear.objects, unet.objects) : null;
      if (headDifference) say(opts, `mask: U-Net head − linear head, paired over ${headDifference.objects.length} object(s): ${signedCI(headDifference.mIOU)} points mIOU`);
      const out: MaskReconstructionResult = {
        ...experimentOutput(cfg, runDir, figures, tracker, run, t0),
        objects,
        mIOU: s.mIOU,
        shapeMIOU: s.shapeMIOU,
        psnr: first.psnr,
        maskView: cfg.maskView,
        novelViews: novel,
        pretrain: pre ?? null,
        probe: probe ?? null,
        // The U-Net head's numbers come from the semantic SRN, which trained its U-Net head: they carry its code versions.
        heads: { ...(linear ? { linear: headResult(linear)! } : {}), ...(unet ? { unet: { ...headResult(unet)!, semantic: unet.semantic, codeVersions: { ...UNET_CODE } } } : {}) },
        ...(headDifference ? { headDifference } : {}),
      };
      const resultsPath = out.resultsPath;
      writeResultsJson(resultsPath, {
        schema: 'semantic-srn/mask-reconstruction@1',
        experiment: cfg.experiment,
        scale: cfg.scale,
        configSource: cfg.source,
        configFingerprint: configFingerprint(cfg, opts),
        mIOU: out.mIOU,
        shapeMIOU: out.shapeMIOU,
        psnr: out.psnr,
        perClassIoU: Object.fromEntries(s.classNames.map((n, c) => [n, s.perClassIoU[c]])),
        objects: objects.map((o) => ({ ...o, fitLoss: undefined, finalFitLoss: o.fitLoss.at(-1) ?? null })),
        maskView: cfg.maskView,
        novelViews: novel,
        evalViews: evalFiles.length,
        pretrain: pre ? { ...pre, losses: undefined } : null,
        probe: probe ? { ...probe, losses: undefined } : null,
        heads: out.heads,
        ...(headDifference ? { headDifference } : {}),
        backend: backendSummary(),
        figures,
        totalSeconds: out.seconds,
        tracking: out.tracking,
        createdAt: new Date().toISOString(),
      });
      for (const tag of ['', '_unet']) rmSync(journalPath(tag), { force: true });
      run.logMetrics({ 'mask/mIOU': out.mIOU, 'mask/shapeMIOU': out.shapeMIOU, 'mask/psnr': out.psnr, 'time/total_seconds': out.seconds });
      await run.logArtifact(resultsPath);
      for (const f of Object.values(figures)) await run.logArtifact(f, 'figures');
      if (unet) run.logMetrics({ 'mask_unet/mIOU': unet.scores.mIOU, 'mask_unet/psnr': unet.psnr });
      if (headDifference) run.logMetrics({ 'mask/unet_minus_linear_mIOU': headDifference.mIOU.mean / 100, ...(headDifference.mIOU.ci95 === null ? {} : { 'mask/unet_minus_linear_mIOU_ci95': headDifference.mIOU.ci95 / 100 }) });
      return out;
    }
  });
}
