// Source of notebooks/01-semi-supervised-probe.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/01-semi-supervised-probe.ts` (see docs/notebooks.md).

// %% [markdown]
// # 01 · Semi-supervised linear probe (Table 1, column 2; Figs 3–4)
//
// The paper's main result: an SRN pre-trained on RGB only, a **linear** segmentation head trained on
// **30 labelled images** (10 objects × 3 views) of frozen SRN features, and a latent code fitted to each
// test object from **one** RGB view (view 65). The code is then rendered from every evaluated view —
// RGB and labels — and scored with mIOU and shape-mIOU (reference §4.1–4.6, §6).
//
// Everything runs through `runSemiSupervisedProbe` (the CLI `semantic-srn experiment semi-supervised-probe`
// calls the same function). Pre-training is shared: a finished pre-training of the same preset, data and
// seed under the runs folder is reused (notebooks 04–06 reuse this one).
//
// Parameters: `SCALE` picks the config in `experiments/semi-supervised-probe.json` (`small` is the CI smoke
// size, `cpu` is sized for 2 cores, `paper` needs the real dataset and a GPU).

// %% tags=["parameters"]
const SMALL = process.env.SRN_NOTEBOOK_SMALL === '1';
// The scale (small, cpu, cpu64, paper) and class (chair, table): SRN_NOTEBOOK_SCALE / SRN_NOTEBOOK_CLASS, -p, or edit here.
let SCALE: string = SMALL ? 'small' : process.env.SRN_NOTEBOOK_SCALE || 'cpu';
// '' = the config's class
let CLASS = process.env.SRN_NOTEBOOK_CLASS ?? '';
let RUNS_DIR = SMALL ? '../out/notebooks/runs' : '../runs';
// '' = MLFLOW_TRACKING_URI if set, else ../mlruns
let TRACKING_URI = SMALL ? '../out/notebooks/mlruns' : '';
// '' = the config's data.root
let DATA_ROOT = '';

// %%
import { readFileSync } from 'node:fs';
import {
  createTracker,
  describeBackend,
  loadExperimentConfig,
  lossCurvesSpec,
  paperColumn,
  nativeThreadsForPreset,
  perClassIouSpec,
  resultsTable,
  runSemiSupervisedProbe,
  type Scale,
  SCALE_PRESETS,
  selectBackend,
  showImageGrid,
  showTable,
  showVegaLite,
  stderrProgress,
  withClassAndSeeds,
} from './lib';

// One TensorFlow thread is faster for the tiny and cpu presets' small ops (docs/native-backend.md, "Threads").
console.log(describeBackend(await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[SCALE as Scale]) })));

// %%
const cfg = withClassAndSeeds(loadExperimentConfig('semi-supervised-probe', SCALE as Scale), { className: CLASS || undefined });
console.log(`${cfg.source} · scale ${cfg.scale}: preset ${cfg.preset}, ${cfg.data.train} training / ${cfg.data.test} test ${cfg.data.className}s at ${cfg.data.resolution}² (${cfg.data.root})`);
console.log(cfg.description);
const tracker = createTracker(TRACKING_URI ? { uri: TRACKING_URI } : { localStore: '../mlruns' });

// %% [markdown]
// ## Run: pre-train (or reuse) → probe on 30 labelled images → single-view fit → render → score

// %%
const result = await runSemiSupervisedProbe(cfg, {
  tracker: tracker,
  runsDir: RUNS_DIR,
  dataRoot: DATA_ROOT || undefined,
  onProgress: (m: string) => console.log(m),
  stepProgress: SMALL ? false : stderrProgress(30000),
});
const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);
console.log(`mIOU ${pct(result.mIOU)} · shape-mIOU ${pct(result.shapeMIOU)} · PSNR ${result.psnr?.toFixed(2) ?? 'n/a'} dB over ${result.counts.images} images`);
console.log(`trivial: all background ${pct(result.trivial.allBackgroundMIOU)}, majority part ${pct(result.trivial.majorityPartMIOU)}`);
console.log(`pre-training ${result.pretrain.reused ? 'reused' : 'trained'} (${result.pretrain.steps} steps), probe ${result.probe.reused ? 'reused' : 'trained'} on ${result.probe.images} images; ${result.seconds.toFixed(1)} s in all`);

// %% [markdown]
// ## Novel views: input | predicted RGB | ground-truth RGB | predicted labels | ground-truth labels
// One row per evaluated pose (the observed view 65 among them), first test objects.

// %%
showImageGrid(
  result.renders.map((p, i) => ({ image: readFileSync(p), caption: `test object ${i}` })),
  { title: 'Single-view reconstruction: RGB and labels from new poses', cellSize: 420, cols: 1 },
);

// %%
if (result.pretrain.losses.length || result.probe.losses.length) {
  await showVegaLite(
    lossCurvesSpec(
      [
        { name: 'pre-training', values: result.pretrain.losses },
        { name: 'linear probe', values: result.probe.losses },
      ].filter((s) => s.values.length > 0),
      { title: 'Training losses', logY: true },
    ),
  );
}

// %% [markdown]
// ## Per-class IoU and the Table 1 entry

// %%
await showVegaLite(
  perClassIouSpec(
    Object.entries(result.perClassIoU).map(([className, iou]) => ({ method: 'srn+linear', className: className, iou: iou ?? 0 })),
    { title: `Per-class IoU (${cfg.scale})` },
  ),
);
// The paper's numbers live in one place (lib/eval/table1.ts, with their source).
const paperClass = cfg.data.className === 'table' ? 'table' : 'chair';
const PAPER_SRN_LINEAR = paperColumn('srn-linear')[paperClass]!;
showTable(
  resultsTable([
    { row: 'ours (SRN+linear, single view)', scale: cfg.scale, 'mIOU %': 100 * result.mIOU, 'shape-mIOU %': 100 * result.shapeMIOU, images: result.counts.images },
    { row: `paper, Table 1 col. 2 (${paperClass}s)`, scale: 'paper', 'mIOU %': PAPER_SRN_LINEAR[0], 'shape-mIOU %': PAPER_SRN_LINEAR[1], images: null },
    { row: 'trivial: all background', scale: cfg.scale, 'mIOU %': 100 * result.trivial.allBackgroundMIOU, 'shape-mIOU %': null, images: result.counts.images },
    { row: 'trivial: majority part', scale: cfg.scale, 'mIOU %': result.trivial.majorityPartMIOU === null ? null : 100 * result.trivial.majorityPartMIOU, 'shape-mIOU %': null, images: result.counts.images },
  ]),
  { digits: 1 },
);
console.log(`results: ${result.resultsPath}\ntracking: ${result.tracking.uri} (run ${result.tracking.runId})`);
await tracker.close();
