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
let SCALE: string = SMALL ? 'small' : 'cpu';
let RUNS_DIR = SMALL ? '../out/notebooks/runs' : '../runs';
// '' = MLFLOW_TRACKING_URI if set, else ../mlruns
let TRACKING_URI = SMALL ? '../out/notebooks/mlruns' : '';
// '' = the config's data.root
let DATA_ROOT = '';

// %%
import {
  createTracker,
  describeBackend,
  loadExperimentConfig,
  PAPER_TABLE1,
  perClassIouSpec,
  resultsTable,
  runBaselineExperiment,
  selectBackend,
  showTable,
  showVegaLite,
  type Scale,
} from './lib';

console.log(describeBackend(await selectBackend()));

// %%
const cfg = loadExperimentConfig('tco-baseline', SCALE as Scale);
console.log(`${cfg.source} · scale ${cfg.scale}: ${JSON.stringify(cfg.baseline)} · data ${cfg.data.root} at ${cfg.data.resolution}²`);
console.log(cfg.description);
const tracker = createTracker(TRACKING_URI ? { uri: TRACKING_URI } : { localStore: '../mlruns' });

// %% [markdown]
// ## Train and evaluate (lib/baselines through `runBaselineExperiment`)

// %%
const baselines = await runBaselineExperiment(cfg, {
  tracker: tracker,
  runsDir: RUNS_DIR,
  dataRoot: DATA_ROOT || undefined,
  onProgress: (m: string) => console.log(m),
});
console.log(`${baselines.rows.length} evaluations in ${baselines.seconds.toFixed(1)} s`);

// %% [markdown]
// ## Per-class IoU and the Table 1 rows beside the paper

// %%
await showVegaLite(
  perClassIouSpec(
    baselines.rows.flatMap((r) => Object.entries(r.perClassIoU).map(([c, iou]) => ({ method: `${r.method}${r.protocol === 'multi' ? ' (multi)' : ''}`, className: c, iou: iou ?? 0 }))),
    { title: `Per-class IoU (${cfg.scale})` },
  ),
);
showTable(
  resultsTable(
    baselines.rows.map((r) => {
      const paper = PAPER_TABLE1.find((p) => p.column === r.column)?.chair ?? null;
      return {
        method: r.method,
        protocol: r.protocol,
        'Table 1 col': r.column,
        'mIOU %': 100 * r.mIOU,
        'shape-mIOU %': 100 * r.shapeMIOU,
        'paper mIOU % (chairs)': paper ? paper[0] : null,
        'paper shape-mIOU %': paper ? paper[1] : null,
      };
    }),
  ),
  { digits: 1 },
);
console.log(`results: ${baselines.resultsPath}`);
await tracker.close();
