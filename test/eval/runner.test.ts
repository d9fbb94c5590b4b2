import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSplit } from '../../lib/data/split';
import { evalMetrics, evaluate, formatResults, type Predictor } from '../../lib/eval/runner';
import { multiViewIndices, protocolSpec } from '../../lib/eval/protocols';
import { majorityForegroundClass, majorityPartLabels, allBackgroundLabels } from '../../lib/eval/trivial';
import { psnr } from '../../lib/metrics/psnr';
import { GT_PATTERN, makeTestSplit } from './fixture';

const root = makeTestSplit(70, 2);
after(() => rmSync(root, { recursive: true, force: true }));
const close = (a: number, b: number, msg = '') => assert.ok(Math.abs(a - b) < 1e-9, `${msg} ${a} != ${b}`);

test('protocols: view 65 for single view, linspace(0, N, 50) for multi view', () => {
  assert.deepEqual(protocolSpec('single', 251).observedViews, [65]);
  assert.deepEqual(multiViewIndices(251), Array.from({ length: 50 }, (_, i) => 5 * i));
  assert.deepEqual(protocolSpec('multi').observedViews.slice(-2), [240, 245]);
  assert.throws(() => protocolSpec('single', 50), /observes view 65, but the test instances have only 50 views/);
});

test('trivial predictors: all background; GT silhouette filled with the training majority', () => {
  assert.deepEqual(Array.from(allBackgroundLabels([0, 3, 1])), [0, 0, 0]);
  assert.deepEqual(Array.from(majorityPartLabels([0, 3, 1, 0], 5)), [0, 5, 5, 0]);
  assert.equal(majorityForegroundClass([[0, 0, 2, 2, 1], [0, 1, 2]], 3), 2);
  assert.throws(() => majorityForegroundClass([[0, 0]], 3), /no foreground/);
});

test('perfect predictor over all views: mIOU 1, observed view handed over, trivial baselines by hand', async () => {
  const split = openSplit(root, 'Chair', 'test');
  const seen: { views: number; observed: number[] }[] = [];
  const perfect: Predictor = (_inst, views, ctx) => {
    seen.push({ views: views.length, observed: ctx.observedViews });
    const gts = views.map((v) => ctx.loadView(v));
    return { labels: gts.map((g) => g.labels!), rgba: gts.map(() => new Float32Array(64)) };
  };
  const progress: number[] = [];
  const out = join(root, 'run', 'results.json');
  const r = await evaluate({
    split, side: 4, protocol: 'single', predictor: perfect, method: 'oracle',
    trainingLabels: [[0, 2, 2, 1]], outPath: out, onProgress: (p) => progress.push(p.instance),
    backend: 'cpu', config: { preset: 'test' },
  });
  assert.deepEqual(seen, [{ views: 70, observed: [65] }, { views: 70, observed: [65] }]);
  assert.deepEqual(progress, [1, 2]);
  assert.equal(r.counts.images, 140);
  assert.equal(r.mIOU, 1);
  assert.equal(r.shapeMIOU, 1);
  assert.equal(r.perClassIoU.chair_arm, null); // class 3 never occurs
  assert.equal(r.perClassIoU.background, 1);
  // All background: class 0 I 8 / U 16, four foreground classes 0 → 0.5 / 5 per image and pooled.
  close(r.trivial.allBackground.mIOU, 0.1);
  close(r.trivial.allBackground.shapeMIOU, 0.1);
  // Majority part (chair_back = 2): bg 1, class 2 I 2 / U 8, others 0 → 1.25 / 5.
  assert.equal(r.trivial.majorityPart!.majorityClassName, 'chair_back');
  close(r.trivial.majorityPart!.mIOU, 0.25);
  close(r.trivial.majorityPart!.shapeMIOU, 0.25);
  // PSNR of a grey (0) prediction equals psnr() of each GT image, averaged.
  const gt0 = (await import('../../lib/data/view_loader')).loadView(split, 0, 0, 4).rgba;
  assert.ok(Number.isFinite(r.psnr!));
  assert.ok(Math.abs(r.psnr! - psnr(new Float32Array(64), gt0)) < 0.5);

  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(json.method, 'oracle');
  assert.deepEqual(json.protocol, { name: 'single', observedViews: [65] });
  assert.equal(json.perClassIoU.chair_arm, null);
  assert.equal(json.dataset.numClasses, 6);
  assert.equal(json.backend, 'cpu');
  assert.equal(json.perInstance.length, 2);
  assert.ok(json.timings.totalSeconds >= 0);
  assert.match(formatResults(r), /mIOU 100\.0%/);
});

test('the model is scored by the same code as the trivial predictors', async () => {
  const split = openSplit(root, 'Chair', 'test', { maxInstances: 1 });
  const bgPredictor: Predictor = (_i, views) => ({ labels: views.map(() => new Int32Array(16)) });
  const r = await evaluate({ split, side: 4, protocol: 'multi', predictor: bgPredictor, majorityClass: 2 });
  assert.equal(r.mIOU, r.trivial.allBackground.mIOU);
  assert.equal(r.shapeMIOU, r.trivial.allBackground.shapeMIOU);
  assert.equal(r.psnr, null);
  assert.equal(r.protocol.observedViews.length, 50);
  const maj: Predictor = (_i, views) => ({ labels: views.map(() => majorityPartLabels(GT_PATTERN, 2)) });
  const m = await evaluate({ split, side: 4, protocol: 'single', predictor: maj, majorityClass: 2, evalViews: [0, 65] });
  assert.equal(m.counts.images, 2);
  close(m.mIOU, 0.25);
  // What the object is and what it was labelled, per class id, over its 2 views (GT_PATTERN: 8 background, 2 each of 1, 2, 4, 5).
  assert.deepEqual(m.perInstance[0].pixels, { groundTruth: [16, 4, 4, 0, 4, 4], predicted: [16, 0, 16, 0, 0, 0], intersection: [16, 0, 4, 0, 0, 0] });
  // The tracker metrics of a result: no PSNR without renders; trivial and per-class only when asked, absent classes skipped.
  assert.deepEqual(evalMetrics(m, 'eval/'), { 'eval/mIOU': m.mIOU, 'eval/shapeMIOU': m.shapeMIOU, 'eval/shapeMIOUPresent': m.shapeMIOUPresent });
  const all = evalMetrics(m, 'x/', { trivial: true, perClass: true });
  assert.equal(all['x/trivial_all_background_mIOU'], m.trivial.allBackground.mIOU);
  assert.equal(all['x/trivial_majority_part_mIOU'], m.trivial.majorityPart!.mIOU);
  const present = Object.entries(m.perClassIoU).filter(([, v]) => v !== null);
  assert.ok(present.length > 0 && present.length < Object.keys(m.perClassIoU).length);
  for (const [k, v] of present) assert.equal(all[`x/iou_${k}`], v);
  assert.equal(Object.keys(all).length, 5 + present.length);
});

test('bad predictions throw errors naming the instance and view', async () => {
  const split = openSplit(root, 'Chair', 'test', { maxInstances: 1 });
  await assert.rejects(
    evaluate({ split, side: 4, protocol: 'single', predictor: () => ({ labels: [] }) }),
    /predictor returned 0 label maps for 70 views/,
  );
  await assert.rejects(
    evaluate({ split, side: 4, protocol: 'single', predictor: (_i, v) => ({ labels: v.map(() => new Int32Array(9)) }) }),
    /view 0 has 9 pixels, ground truth 16/,
  );
  await assert.rejects(
    evaluate({ split, side: 4, protocol: 'single', predictor: (_i, v) => ({ labels: v.map(() => new Int32Array(16).fill(6)) }) }),
    /view 0: .*predicted label 6 at pixel 0 is outside 0\.\.5/,
  );
  await assert.rejects(
    evaluate({ split, side: 4, protocol: 'single', predictor: (_i, v) => ({ labels: v.map(() => new Int32Array(16)) }), majorityClass: 0 }),
    /majorityClass must be a foreground class/,
  );
});
