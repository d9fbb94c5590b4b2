/**
 * Fig. 5 (reference §7.1): the codes of two test objects (fitted from view 65, or 50 views) are
 * interpolated linearly, z = (1 − j/N)·a + (j/N)·b, while the camera orbits (`orbitPoses`, altitude
 * 22.5°, at the test cameras' distance); every frame is rendered as RGB and linear-head labels.
 * Outputs: RGB and label strips (one image grid), PNG frames (RGB | labels) and an animated GIF.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cameraCenter, orbitPoses } from '../geometry/cameras';
import { loadView } from '../data/view_loader';
import { writePng, type RgbaImage } from '../io/png';
import { writeResultsJson } from '../eval/runner';
import { saveImageGrid } from '../plotting/save';
import { interpolateCodes } from '../srn/render';
import { composeGrid } from '../plotting/image_grid';
import { labelsToImage, rgbaToImage, upscaleNearest } from '../plotting/label_images';
import {
  backendSummary,
  ensurePretrained,
  ensureProbe,
  experimentRunDir,
  experimentSrnConfig,
  fitTestCodes,
  prepareData,
  say,
  withExperimentRun,
  type ExperimentOptions,
  type ExperimentOutput,
  type PretrainInfo,
  type ProbeInfo,
  experimentOutput,
} from './common';
import { configFingerprint } from './finished_run';
import { encodeGif } from './gif';
import type { ExperimentConfig } from './types';

export interface InterpolationResult extends ExperimentOutput {
  /** Test objects (ids) at t = 0 and t = 1. */
  objects: [string, string];
  frames: number;
  side: number;
  /** PNG per frame (RGB | labels side by side). */
  framePaths: string[];
  /** The strips: RGB row and label row at `stripFrames` evenly spaced frames. */
  strip: string;
  gif: string | null;
  /** Interpolation weight t = j/N of each strip column. */
  stripT: number[];
  /** Fraction of foreground pixels per frame (a sanity signal: the object stays visible). */
  foreground: number[];
  pretrain: PretrainInfo;
  probe: ProbeInfo;
}

export async function runInterpolation(cfg: ExperimentConfig<'interpolation'>, opts: ExperimentOptions = {}): Promise<InterpolationResult> {
  const t0 = performance.now();
  const runDir = experimentRunDir(cfg, opts);
  const data = await prepareData(cfg, opts);
  const config = experimentSrnConfig(cfg, data.train.numClasses);
  const C = data.test.numClasses;
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    const { model, info: pre } = await ensurePretrained(config, data, { ...opts, run }, cfg.seed);
    try {
      const probe = await ensureProbe(config, model, data, pre, { ...opts, run });
      const [a, b] = cfg.pair;
      say(opts, `interpolation: fitting codes of test objects ${a} and ${b} (${cfg.fitProtocol} view)`);
      const codes = await fitTestCodes(config, model, data.test, [a, b], cfg.fitProtocol, opts);
      // Orbit at the distance of the test cameras (reference 1.5 for ShapeNet renders; 1.3 for the built-in objects).
      const ref = loadView(data.test, a, 0, cfg.side, { skipDepth: true });
      const radius = Math.hypot(...cameraCenter(ref.pose));
      const poses = orbitPoses(cfg.frames, radius);
      say(opts, `interpolation: rendering ${cfg.frames} frames at ${cfg.side}² (orbit radius ${radius.toFixed(2)})`);
      const views = interpolateCodes(model, codes[0], codes[1], poses, ref.intrinsics, { side: cfg.side, chunkRays: config.inference.chunkRays, head: config.training.probe.head });

      const framesDir = join(runDir, 'frames');
      mkdirSync(framesDir, { recursive: true });
      const scale = Math.max(1, Math.ceil(128 / cfg.side));
      const rgbImgs: RgbaImage[] = views.map((v) => rgbaToImage(v.rgba, cfg.side));
      const labelImgs: RgbaImage[] = views.map((v) => labelsToImage(v.labels!, C, cfg.side));
      const framePaths: string[] = [];
      const gifFrames: RgbaImage[] = [];
      views.forEach((_, j) => {
        const frame = composeGrid([[upscaleNearest(rgbImgs[j], scale), upscaleNearest(labelImgs[j], scale)]], { pad: 2 });
        const p = join(framesDir, `frame_${String(j).padStart(3, '0')}.png`);
        writePng(p, frame);
        framePaths.push(p);
        gifFrames.push(frame);
      });
      const foreground = views.map((v) => v.labels!.reduce((s, l) => s + (l !== 0 ? 1 : 0), 0) / v.labels!.length);

      const k = Math.min(cfg.stripFrames, cfg.frames);
      const picks = Array.from({ length: k }, (_, i) => Math.round((i * (cfg.frames - 1)) / (k - 1)));
      const stripT = picks.map((j) => j / cfg.frames);
      const items = [
        ...picks.map((j) => ({ image: rgbImgs[j], caption: `t=${(j / cfg.frames).toFixed(2)}` })),
        ...picks.map((j) => ({ image: labelImgs[j], caption: `frame ${j}` })),
      ];
      const ids: [string, string] = [data.test.instances[a].id, data.test.instances[b].id];
      const strip = saveImageGrid(items, join(runDir, 'strip'), {
        cols: k,
        rowLabels: ['RGB', 'labels'],
        title: `Interpolation ${ids[0].slice(0, 6)} → ${ids[1].slice(0, 6)} while orbiting`,
        cellSize: 96,
      });
      let gif: string | null = null;
      if (cfg.gif) {
        gif = join(runDir, 'interpolation.gif');
        writeFileSync(gif, encodeGif(gifFrames, cfg.gifDelayMs));
      }
      const figures: Record<string, string> = { strip: strip.png, ...(gif ? { gif } : {}) };
      const out: InterpolationResult = {
        ...experimentOutput(cfg, runDir, figures, tracker, run, t0),
        objects: ids,
        frames: cfg.frames,
        side: cfg.side,
        framePaths,
        strip: strip.png,
        gif,
        stripT,
        foreground,
        pretrain: pre,
        probe,
      };
      const resultsPath = out.resultsPath;
      writeResultsJson(resultsPath, {
        schema: 'semantic-srn/interpolation@1',
        experiment: cfg.experiment,
        scale: cfg.scale,
        configSource: cfg.source,
        configFingerprint: configFingerprint(cfg, opts),
        objects: ids,
        pair: cfg.pair,
        frames: cfg.frames,
        side: cfg.side,
        orbitRadius: radius,
        strip: strip.png,
        gif,
        framesDir,
        foreground,
        pretrain: { ...pre, losses: undefined },
        probe: { ...probe, losses: undefined },
        backend: backendSummary(),
        totalSeconds: out.seconds,
        tracking: out.tracking,
        createdAt: new Date().toISOString(),
      });
      run.logMetrics({ 'interp/mean_foreground': foreground.reduce((s, v) => s + v, 0) / foreground.length, 'time/total_seconds': out.seconds });
      await run.logArtifact(resultsPath);
      await run.logArtifact(strip.png, 'figures');
      if (gif) await run.logArtifact(gif, 'figures');
      await run.logArtifact(framesDir, 'frames');
      return out;
    } finally {
      model.dispose();
    }
  });
}
