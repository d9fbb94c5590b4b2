// Source of notebooks/03-unet-baselines.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/03-unet-baselines.ts` (see docs/notebooks.md).

// %% [markdown]
// # 03 · 2D U-Net baselines (Table 1, column 3; Fig. 4)
//
// A 2D U-Net segmenting **ground-truth RGB** of every test view (an oracle: it never has to reconstruct
// anything), trained on the same 30 labelled images as SRN+linear (30-shot, dropout chosen on the
// validation split) and on all training images (full oracle); at `cpu`/`paper` scale also the SRN+U-Net
// variants (end-to-end semantic SRN, single and multi view, and a U-Net on SRN renderings). Models and
// training are in `lib/baselines` (reference §8).

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
import {
  baselineClassRecords,
  baselineRowsTable,
  describeBackend,
  loadExperimentConfig,
  nativeThreadsForPreset,
  notebookRunOptions,
  perClassIouSpec,
  runBaselineExperiment,
  type Scale,
  SCALE_PRESETS,
  selectBackend,
  showTable,
  showVegaLite,
  withClassAndSeeds,
} from './lib';

// One TensorFlow thread is faster for the tiny and cpu presets' small ops (docs/native-backend.md, "Threads").
console.log(describeBackend(await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[SCALE as Scale]) })));

// %%
const cfg = withClassAndSeeds(loadExperimentConfig('unet-baselines', SCALE as Scale), { className: CLASS || undefined });
console.log(`${cfg.source} · scale ${cfg.scale}: ${JSON.stringify(cfg.baseline)} · data ${cfg.data.root} at ${cfg.data.resolution}²`);
console.log(cfg.description);
const runOptions = notebookRunOptions({ trackingUri: TRACKING_URI, runsDir: RUNS_DIR, dataRoot: DATA_ROOT, quiet: SMALL });
const tracker = runOptions.tracker;

// %% [markdown]
// ## Train and evaluate (lib/baselines through `runBaselineExperiment`)

// %%
const baselines = await runBaselineExperiment(cfg, runOptions);
console.log(`${baselines.rows.length} evaluations in ${baselines.seconds.toFixed(1)} s`);

// %% [markdown]
// ## Per-class IoU and the Table 1 rows beside the paper

// %%
await showVegaLite(perClassIouSpec(baselineClassRecords(baselines.rows), { title: `Per-class IoU (${cfg.scale})` }));
showTable(baselineRowsTable(baselines.rows), { digits: 1 });
console.log(`results: ${baselines.resultsPath}`);
await tracker.close();
