// Source of notebooks/02-tco-baseline.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/02-tco-baseline.ts` (see docs/notebooks.md).

// %% [markdown]
// # 02 · TCO+linear baseline (Table 1, column 1)
//
// The multi-view autoencoder of Tatarchenko et al. (TCO) is trained to render a target view from one
// context view and the target pose (RGB only); a linear (transposed-conv) probe is then trained on its
// decoder features of the **same 30 labelled images** as SRN+linear (notebook 01), and evaluated from a
// single context view (reference §8). The model and training live in `lib/baselines`; this notebook runs
// them through `runBaselineExperiment` (the CLI: `semantic-srn experiment tco-baseline`).

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
const cfg = withClassAndSeeds(loadExperimentConfig('tco-baseline', SCALE as Scale), { className: CLASS || undefined });
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
