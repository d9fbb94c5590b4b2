/** A tiny generated chair dataset shared by the baseline smoke tests (train 3×4 views, val 2×2, test 2×70 at 16²). */
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSyntheticDataset } from '../../lib/data/synthetic/generate';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readPng } from '../../lib/io/png';
import { baselineConfig } from '../../lib/baselines/config';
import type { BaselineKind } from '../../lib/baselines/finished_baseline';
import { runBaseline } from '../../lib/baselines/run';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import { TcoNet } from '../../lib/baselines/tco';
import { fitTcoProbe, pretrainTco, tcoArch, tcoPredictor } from '../../lib/baselines/tco_train';
import { Unet2d } from '../../lib/baselines/unet2d';
import { splitImageSet, trainFewShotUnet, trainUnet2d, unetArch, unetPredictor } from '../../lib/baselines/unet_train';
import { loadView } from '../../lib/data/view_loader';
import { protocolSpec } from '../../lib/eval/protocols';
import type { PredictorContext } from '../../lib/eval/runner';
import type { SplitInfo } from '../../lib/data/types';
import { openSplit } from '../../lib/data/split';
import { useBackend } from '../helpers/tf';


export interface TinySplits {
  train: SplitInfo;
  test: SplitInfo;
  val: SplitInfo;
}

/**
 * The hooks every baseline smoke file needs: the wasm backend and a fresh tiny dataset before its tests, the
 * dataset removed after. Read `root` / `splits()` inside the tests (they exist once `before` has run).
 */
export function useTinyChairs(): { readonly root: string; splits(): TinySplits } {
  let root = '';
  before(async () => {
    await useBackend('wasm');
    root = await tinyChairs();
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  return {
    get root() {
      return root;
    },
    splits: () => ({ train: openSplit(root, 'Chair', 'train'), test: openSplit(root, 'Chair', 'test'), val: openSplit(root, 'Chair', 'val') }),
  };
}

export async function tinyChairs(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'baseline-smoke-'));
  await ensureSyntheticDataset({
    root,
    className: 'chair',
    splits: { train: 3, val: 2, test: 2 },
    views: { train: 4, val: 2, test: 70 },
    resolution: 16,
    workers: 1,
  });
  return root;
}

/** Overrides that make any preset a 2-step run at 16² (architecture widths unchanged). */
export function twoStepOverrides(numDown: number) {
  const two = { steps: 2, batchSize: 2, evalEvery: 1, patience: 1 };
  return {
    data: { maxTrainInstances: 3, maxTestInstances: 2, valInstances: 2, valViews: 2, evalSide: 16 },
    tco: { side: 16, pretrain: { steps: 2, batchSize: 2 }, probe: { steps: 2, batchSize: 2, inputsPerTarget: 1 } },
    unet: { side: 16, numDown: Math.min(numDown, 4), oracle: two, fewShot: { ...two, dropoutGrid: [0.2] } },
    srnUnet: { renderViewsPerInstance: 1, rgbUnet: two },
  };
}

/** 2 steps of TCO pre-training, probe, U-Net oracle (and 30-shot) training with a preset's architecture, one prediction each, no leak. */
export async function presetSmoke(preset: string, splits: TinySplits, fewShot = true): Promise<void> {
  const { train, test, val } = splits;
  const ctx = (side: number): PredictorContext => {
    const c: PredictorContext = { split: test, position: 0, protocol: protocolSpec('single', 70), observedViews: [65], side, loadView: (p) => loadView(test, 0, p, side), following: () => [c] };
    return c;
  };
  const base = baselineConfig(preset);
  const cfg = baselineConfig(preset, twoStepOverrides(base.unet.numDown));
  const tensors = tf.memory().numTensors;
  const net = new TcoNet(tcoArch(cfg.tco), 0);
  assert.equal(cfg.tco.fcWidth, base.tco.fcWidth);
  const pre = await pretrainTco(cfg.tco, net, train, 0);
  assert.equal(pre.steps, 2);
  assert.ok(pre.history.every(Number.isFinite));
  const probe = await fitTcoProbe(cfg.tco, net, train, [{ instance: 0, view: 0 }, { instance: 1, view: 1 }], 0);
  assert.equal(probe.steps, 2);
  const p = await tcoPredictor(cfg.tco, net, probe.head)(test.instances[0], [0, 65], ctx(16));
  assert.equal(p.labels.length, 2);
  assert.equal(p.labels[0].length, 256);
  probe.head.dispose();
  net.dispose();

  const u = new Unet2d(unetArch(cfg.unet, train.numClasses), 0);
  const r = await trainUnet2d(u, cfg.unet.oracle, splitImageSet(train, 16), splitImageSet(val, 16), train.numClasses, 0);
  assert.equal(r.steps, 2);
  const q = await unetPredictor(u)(test.instances[0], [3], ctx(16));
  assert.equal(q.labels[0].length, 256);
  u.dispose();
  if (fewShot) {
    const fs = await trainFewShotUnet(cfg.unet, splitImageSet(train, 16, [{ instance: 0, view: 0 }, { instance: 1, view: 0 }]), splitImageSet(val, 16), train.numClasses, 0);
    assert.equal(fs.grid.length, 1);
    fs.net.dispose();
  }
  assert.equal(tf.memory().numTensors, tensors);
}

/** One baseline, `tiny` preset, 2 steps, through runBaseline: results.json of the runner's shape, one finished tracker run, no tensors left. */
export async function tinyBaselineSmoke(kind: BaselineKind, root: string): Promise<void> {
  const tracker = createMemoryTracker();
  const tensors = tf.memory().numTensors;
  const s = await runBaseline({
    kind, preset: 'tiny', data: root, out: join(root, 'runs'), name: kind, seed: 1, quiet: true, tracker,
    overrides: twoStepOverrides(baselineConfig('tiny').unet.numDown),
  });
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
  const paths = Object.values(s.results);
  const methods: Record<BaselineKind, string[]> = {
    tco: ['tco+linear'], 'unet-oracle': ['unet-oracle'], 'unet-fewshot': ['unet-30shot'], 'srn-unet': ['srn+unet', 'srn+unet (multi)'], 'srn-render-unet': ['srn-render+unet2d'],
  };
  assert.deepEqual(Object.keys(s.results), methods[kind], 'one results file per evaluation of this kind');
  for (const p of paths) {
    assert.ok(existsSync(p));
    const r = JSON.parse(readFileSync(p, 'utf8'));
    assert.equal(r.schema, 'semantic-srn/eval-results@1');
    assert.ok(r.mIOU >= 0 && r.mIOU <= 1 && r.shapeMIOU >= 0 && r.shapeMIOU <= 1);
    assert.equal(r.counts.images, 2 * 70);
    assert.ok(r.trivial.allBackground.mIOU > 0);
    assert.ok(r.training, 'training record');
  }
  const runs = [...tracker.backend.runs.values()];
  assert.equal(runs.length, 1);
  assert.equal(runs[0].info.status, 'FINISHED');
  // Qualitative figures of the first test objects (both here), one folder per evaluation, logged as artifacts.
  const renders = join(root, 'runs', kind, 'renders');
  const figures = readdirSync(renders, { recursive: true }).map(String).filter((f) => f.endsWith('.png'));
  assert.equal(figures.length, paths.length * 2, figures.join(', '));
  assert.equal(readPng(join(renders, figures[0])).width > 0, true);
}
