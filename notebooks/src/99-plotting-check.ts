// Source of notebooks/99-plotting-check.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/99-plotting-check.ts` (see docs/notebooks.md).

// %% [markdown]
// # 99 · Plotting and tables check
//
// End-to-end check of the notebook stack, from small data computed right here (no model, no dataset):
// the TF.js backend, Vega-Lite charts (interactive spec + PNG rendered in Node), Plotly figures
// (plotly.js inlined, no CDN), an image grid, an arquero results table, and the same figures saved as
// PNG/SVG/HTML artifacts. It ends with assertions, so CI fails if any piece breaks.
//
// Headless: `bash scripts/nb-test.sh` (sets `SRN_NOTEBOOK_SMALL=1`). Parameters can be overridden with
// `tools/run-notebook.py -p STEPS=50`.

// %% tags=["parameters"]
// `let`: tools/run-notebook.py -p assigns these (type-checked); SRN_NOTEBOOK_SMALL=1 picks the CI size.
const SMALL = process.env.SRN_NOTEBOOK_SMALL === '1';
let STEPS = SMALL ? 80 : 400;
let N_POINTS = SMALL ? 2000 : 8000;
let SEEDS = SMALL ? 3 : 8;
let OUT_DIR = '../out/notebooks/99-plotting-check';

// %%
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import {
  Rng,
  classPaletteRgb,
  curvesFigure,
  describeBackend,
  imageGridSvg,
  lossCurvesSpec,
  miouVsLabelsSpec,
  perClassIouSpec,
  pointCloudFigure,
  resultsTable,
  saveFigure,
  savePlotlyHtml,
  saveTable,
  selectBackend,
  showImageGrid,
  showPlotly,
  showTable,
  showVegaLite,
  summarizeSeeds,
  type ClassIouRecord,
  type LabelSweepRecord,
} from './lib';

// %%
const backendReport = await selectBackend();
console.log(describeBackend(backendReport));
console.log(`TF.js ${tf.version.tfjs} | SMALL=${SMALL} STEPS=${STEPS} N_POINTS=${N_POINTS} SEEDS=${SEEDS}`);
const tensorsAtStart = tf.memory().numTensors;

// %% [markdown]
// ## 1 · Loss curves of a linear regression trained here
// y = x·w + b + noise with 3 features; plain SGD at three learning rates, full batch. Log-y Vega-Lite
// chart, then the same curves as an interactive Plotly figure.

// %%
function trainLinearRegression(lr: number, seed: number, steps: number): number[] {
  const rng = Rng.derive(seed, 'linreg-data');
  const n = 256;
  const wTrue = [1.5, -2, 0.5];
  const xs = rng.normalArray(n * 3);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ys[i] = xs[3 * i] * wTrue[0] + xs[3 * i + 1] * wTrue[1] + xs[3 * i + 2] * wTrue[2] + 0.3 + rng.normal(0, 0.1);
  }
  const X = tf.tensor2d(xs, [n, 3]);
  const Y = tf.tensor2d(ys, [n, 1]);
  // tf.variable(x) keeps x alive as a separate tensor: create the zeros inside tidy.
  const w = tf.tidy(() => tf.variable(tf.zeros([3, 1])));
  const b = tf.tidy(() => tf.variable(tf.zeros([1])));
  const opt = tf.train.sgd(lr);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = opt.minimize(() => tf.losses.meanSquaredError(Y, X.matMul(w).add(b)) as tf.Scalar, true)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  tf.dispose([X, Y, w, b]);
  opt.dispose();
  return losses;
}

const lossSeries = [0.01, 0.03, 0.1].map((lr) => ({ name: `SGD lr=${lr}`, values: trainLinearRegression(lr, 7, STEPS) }));
for (const s of lossSeries) console.log(`${s.name}: MSE ${s.values[0].toFixed(3)} → ${s.values[s.values.length - 1].toFixed(4)}`);
const lossSpec = lossCurvesSpec(lossSeries, { title: 'Linear regression: training MSE', yTitle: 'MSE (log)', logY: true });
await showVegaLite(lossSpec);

// %%
showPlotly(curvesFigure(lossSeries, { title: 'Linear regression: training MSE (Plotly)', yTitle: 'MSE', logY: true }));

// %% [markdown]
// ## 2 · A labelled point cloud: the unit sphere split into octants
// Class 0 (white) is a band around the equator, classes 1–8 are the octants (the reference
// palette via `classPalette`, the colours every label render uses). Drag to rotate; click legend entries to hide classes.

// %%
const CLASS_NAMES = ['equator band', '+x+y+z', '-x+y+z', '+x-y+z', '-x-y+z', '+x+y-z', '-x+y-z', '+x-y-z', '-x-y-z'];
const NUM_CLASSES = CLASS_NAMES.length;

function sphereLabel(x: number, y: number, z: number): number {
  if (Math.abs(z) < 0.15) return 0;
  return 1 + (x < 0 ? 1 : 0) + (y < 0 ? 2 : 0) + (z < 0 ? 4 : 0);
}

const sphereRng = Rng.derive(11, 'sphere');
const spherePoints = new Float32Array(N_POINTS * 3);
const sphereLabels = new Int32Array(N_POINTS);
for (let i = 0; i < N_POINTS; i++) {
  const v = [sphereRng.normal(), sphereRng.normal(), sphereRng.normal()];
  const r = Math.hypot(v[0], v[1], v[2]);
  spherePoints.set([v[0] / r, v[1] / r, v[2] / r], 3 * i);
  sphereLabels[i] = sphereLabel(v[0] / r, v[1] / r, v[2] / r);
}
const cloudFigure = pointCloudFigure(spherePoints, sphereLabels, {
  numClasses: NUM_CLASSES,
  classNames: CLASS_NAMES,
  title: `Unit sphere, ${N_POINTS} points labelled by octant`,
});
showPlotly(cloudFigure, { height: 460 });

// %% [markdown]
// ## 3 · Image grid: label renders of the same sphere
// Orthographic label images from three directions, painted with `classPaletteRgb` — the layout the
// experiment notebooks use for RGB / label / ground-truth strips.

// %%
function renderSphereLabels(view: 'front' | 'top' | 'oblique', size: number): { width: number; height: number; data: Uint8Array } {
  const palette = classPaletteRgb(NUM_CLASSES);
  const data = new Uint8Array(size * size * 4);
  const c = Math.SQRT1_2;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const u = (2 * (px + 0.5)) / size - 1;
      const v = 1 - (2 * (py + 0.5)) / size;
      const o = 4 * (py * size + px);
      const d2 = u * u + v * v;
      if (d2 >= 1) {
        data.set([40, 40, 40, 255], o); // dark background so the white class shows
        continue;
      }
      const depth = Math.sqrt(1 - d2); // towards the viewer
      // camera frames: front looks along -y, top along -z, oblique is front rotated 45° about x
      const [x, y, z] =
        view === 'front' ? [u, depth, v] : view === 'top' ? [u, v, depth] : [u, c * depth - c * v, c * depth + c * v];
      const rgb = palette[sphereLabel(x, y, z)];
      const shade = 0.55 + 0.45 * depth;
      data.set([rgb[0] * shade, rgb[1] * shade, rgb[2] * shade, 255], o);
    }
  }
  return { width: size, height: size, data };
}

const gridItems = (['front', 'top', 'oblique'] as const).map((view) => ({ image: renderSphereLabels(view, 96), caption: view }));
showImageGrid(gridItems, { title: 'Sphere label renders (orthographic)', cellSize: 160 });

// %% [markdown]
// ## 4 · mIOU vs number of labels, over seeded draws
// Two few-shot classifiers label every sphere point from k labelled points per class (drawn with a seed):
// nearest class centroid and 1-nearest-neighbour. Score: mean IoU over the 9 classes (classes absent
// from both prediction and truth skipped). Lines are the mean over seeds, bands mean ± std.

// %%
function drawLabelled(k: number, seed: number): number[] {
  const rng = Rng.derive(seed, 'labelled', k);
  const picked: number[] = [];
  for (let cls = 0; cls < NUM_CLASSES; cls++) {
    const members: number[] = [];
    sphereLabels.forEach((l, i) => {
      if (l === cls) members.push(i);
    });
    picked.push(...rng.shuffle(members).slice(0, k));
  }
  return picked;
}

function dist2(i: number, p: ArrayLike<number>, j: number): number {
  const dx = spherePoints[3 * i] - p[3 * j];
  const dy = spherePoints[3 * i + 1] - p[3 * j + 1];
  const dz = spherePoints[3 * i + 2] - p[3 * j + 2];
  return dx * dx + dy * dy + dz * dz;
}

function predictNearestNeighbour(labelled: number[]): Int32Array {
  const pred = new Int32Array(N_POINTS);
  for (let i = 0; i < N_POINTS; i++) {
    let best = Infinity;
    for (const j of labelled) {
      const d = dist2(i, spherePoints, j);
      if (d < best) {
        best = d;
        pred[i] = sphereLabels[j];
      }
    }
  }
  return pred;
}

function predictNearestCentroid(labelled: number[]): Int32Array {
  const sums = new Float64Array(NUM_CLASSES * 3);
  const counts = new Float64Array(NUM_CLASSES);
  for (const j of labelled) {
    const cls = sphereLabels[j];
    for (let a = 0; a < 3; a++) sums[3 * cls + a] += spherePoints[3 * j + a];
    counts[cls]++;
  }
  const centroids = sums.map((s, idx) => s / Math.max(1, counts[Math.floor(idx / 3)]));
  const pred = new Int32Array(N_POINTS);
  for (let i = 0; i < N_POINTS; i++) {
    let best = Infinity;
    for (let cls = 0; cls < NUM_CLASSES; cls++) {
      const d = dist2(i, centroids, cls);
      if (d < best) {
        best = d;
        pred[i] = cls;
      }
    }
  }
  return pred;
}

function iouPerClass(pred: Int32Array, gt: Int32Array): (number | null)[] {
  const inter = new Float64Array(NUM_CLASSES);
  const union = new Float64Array(NUM_CLASSES);
  for (let i = 0; i < gt.length; i++) {
    if (pred[i] === gt[i]) {
      inter[gt[i]]++;
      union[gt[i]]++;
    } else {
      union[gt[i]]++;
      union[pred[i]]++;
    }
  }
  return Array.from(inter, (v, cls) => (union[cls] > 0 ? v / union[cls] : null));
}

function meanIou(perClass: (number | null)[]): number {
  const present = perClass.filter((v): v is number => v !== null);
  return present.reduce((s, v) => s + v, 0) / present.length;
}

const METHODS = { 'nearest centroid': predictNearestCentroid, '1-NN': predictNearestNeighbour };
const K_VALUES = SMALL ? [1, 2, 4, 8, 16] : [1, 2, 4, 8, 16, 32, 64];
const sweep: LabelSweepRecord[] = [];
const classIou: ClassIouRecord[] = [];
for (const [method, predict] of Object.entries(METHODS)) {
  for (const k of K_VALUES) {
    for (let seed = 0; seed < SEEDS; seed++) {
      const perClass = iouPerClass(predict(drawLabelled(k, seed)), sphereLabels);
      sweep.push({ method: method, numLabels: k, seed: seed, miou: meanIou(perClass) });
      if (k === K_VALUES[K_VALUES.length - 1] && seed === 0) {
        perClass.forEach((iou, cls) => classIou.push({ method: method, className: CLASS_NAMES[cls], iou: iou ?? 0 }));
      }
    }
  }
}
const sweepSpec = miouVsLabelsSpec(sweep, {
  title: `Sphere octants: mIOU vs labelled points (${SEEDS} seeds, mean ± std)`,
  xTitle: 'labelled points per class',
  logX: true,
});
await showVegaLite(sweepSpec);

// %%
const classSpec = perClassIouSpec(classIou, {
  title: `IoU per class at k = ${K_VALUES[K_VALUES.length - 1]} (seed 0)`,
  classOrder: CLASS_NAMES,
});
await showVegaLite(classSpec);

// %% [markdown]
// ## 5 · Results table (arquero)

// %%
const summaryTable = resultsTable(
  summarizeSeeds(sweep).map((s) => ({ method: s.method, k: s.numLabels, seeds: s.n, mIOU: s.mean, std: s.std, min: s.min, max: s.max })),
);
showTable(summaryTable, { digits: 3 });

// %% [markdown]
// ## 6 · The same figures as files (what the tracker logs as artifacts)

// %%
const artifacts = {
  loss: await saveFigure(lossSpec, `${OUT_DIR}/loss_curves`),
  sweep: await saveFigure(sweepSpec, `${OUT_DIR}/miou_vs_labels`),
  perClass: await saveFigure(classSpec, `${OUT_DIR}/per_class_iou`),
  cloud: savePlotlyHtml(cloudFigure, `${OUT_DIR}/point_cloud`),
  table: saveTable(summaryTable, `${OUT_DIR}/miou_vs_labels`),
};
console.log(JSON.stringify(artifacts, null, 2));

// %% [markdown]
// ## 7 · Checks

// %%
const finalMse = lossSeries[2].values[lossSeries[2].values.length - 1];
const nnSummary = summarizeSeeds(sweep).filter((s) => s.method === '1-NN');
const nnFirst = nnSummary[0];
const nnBest = nnSummary[nnSummary.length - 1];
const checks: [string, boolean][] = [
  [`lr=0.1 regression converged (final MSE ${finalMse.toFixed(4)} < 0.05)`, finalMse < 0.05],
  [`losses decrease for every learning rate`, lossSeries.every((s) => s.values[s.values.length - 1] < s.values[0])],
  [`1-NN mIOU grows with labels: k=${nnFirst.numLabels} ${nnFirst.mean.toFixed(3)} < k=${nnBest.numLabels} ${nnBest.mean.toFixed(3)}, > 0.6`, nnFirst.mean < nnBest.mean && nnBest.mean > 0.6],
  [`no tensors leaked (${tf.memory().numTensors} now, ${tensorsAtStart} at start)`, tf.memory().numTensors === tensorsAtStart],
  [`all artifact files exist`, Object.values(artifacts).every((paths) => Object.values(paths).every((p) => existsSync(p)))],
  [`image grid SVG built`, imageGridSvg(gridItems).startsWith('<svg')],
];
for (const [what, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
const failedChecks = checks.filter((c) => !c[1]);
if (failedChecks.length > 0) throw new Error(`${failedChecks.length} check(s) failed: ${failedChecks.map((c) => c[0]).join('; ')}`);
