// Source of notebooks/00-table-1.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/00-table-1.ts` (see docs/notebooks.md).

// %% [markdown]
// # 00 · Table 1: ours beside the paper
//
// Collects every Table 1 row found under the runs folder (`results.json` files written by the experiment
// notebooks, the CLI `semantic-srn experiment …`, or `semantic-srn quickstart`), runs the experiments of
// missing rows at the chosen scale (`runMissing` in `experiments/table-1.json`), and prints our numbers
// beside the paper's (reference §6.1). Columns: (1) TCO+linear, (2) SRN+linear — ours, (3) oracle RGB +
// 2D U-Net on the same 30 labelled images; (4–6) fully supervised on the full dataset.
//
// Our numbers come from the built-in procedural chairs at `small`/`cpu` scale, so they are not comparable
// in value with the paper's ShapeNet/PartNet numbers — compare the ordering of the rows.

// %% tags=["parameters"]
const SMALL = process.env.SRN_NOTEBOOK_SMALL === '1';
// The scale (small, cpu, cpu64, paper) and class (chair, table): SRN_NOTEBOOK_SCALE / SRN_NOTEBOOK_CLASS, -p, or edit here.
let SCALE: string = SMALL ? 'small' : process.env.SRN_NOTEBOOK_SCALE || 'cpu';
// '' = the config's class
let CLASS = process.env.SRN_NOTEBOOK_CLASS ?? '';
// Replicate seeds ('' = the config's, e.g. '0,1,2'), and whether to run the missing rows (hours at cpu64) or only
// collect what is there and print the plan (what `semantic-srn experiment table-1 --plan` prints).
let SEEDS = '';
let RUN_MISSING = true;
let RUNS_DIR = SMALL ? '../out/notebooks/runs' : '../runs';
// '' = MLFLOW_TRACKING_URI if set, else ../mlruns
let TRACKING_URI = SMALL ? '../out/notebooks/mlruns' : '';
// '' = the config's data.root
let DATA_ROOT = '';

// %%
import {
  collectTable1Rows,
  describeBackend,
  describeTable1Step,
  loadExperimentConfig,
  nativeThreadsForPreset,
  notebookRunOptions,
  pickTable1Rows,
  planTable1,
  resultsTable,
  runTable1,
  type Scale,
  SCALE_PRESETS,
  selectBackend,
  showTable,
  showVegaLite,
  table1ChartSpec,
  table1PerObject,
  withClassAndSeeds,
} from './lib';
import { resolve } from 'node:path';

// One TensorFlow thread is faster for the tiny and cpu presets' small ops (docs/native-backend.md, "Threads").
console.log(describeBackend(await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[SCALE as Scale]) })));

// %%
const cfg = withClassAndSeeds(loadExperimentConfig('table-1', SCALE as Scale), { className: CLASS || undefined, seeds: SEEDS || undefined });
console.log(`${cfg.source} · scale ${cfg.scale}: preset ${cfg.preset}, ${cfg.data.train} training / ${cfg.data.test} test ${cfg.data.className}s at ${cfg.data.resolution}² (${cfg.data.root})`);
console.log(cfg.description);
const runOptions = notebookRunOptions({ trackingUri: TRACKING_URI, runsDir: RUNS_DIR, dataRoot: DATA_ROOT, quiet: SMALL });
const tracker = runOptions.tracker;
console.log(`rows already under ${RUNS_DIR} (one per column, class and seed): ${pickTable1Rows(collectTable1Rows(RUNS_DIR)).length}; missing rows are made by: ${cfg.runMissing.join(', ') || 'nothing'}`);
const plan = planTable1(cfg, RUNS_DIR);
console.log(plan.length ? `missing at seeds ${cfg.seeds.join(',')}${RUN_MISSING ? ' (running them now)' : ' (RUN_MISSING = false: not run)'}:\n${plan.map((s) => `  ${describeTable1Step(s)}`).join('\n')}` : 'nothing missing');

// %% [markdown]
// ## Collect (and run what is missing)

// %%
const t1 = await runTable1(RUN_MISSING ? cfg : { ...cfg, runMissing: [] }, runOptions);
for (const s of t1.skipped) console.log(`skipped ${s.experiment}: ${s.reason}`);
console.log(`ran now: ${t1.ran.join(', ') || 'nothing'} · ${t1.rows.length} rows found · ${t1.seconds.toFixed(1)} s`);

// %% [markdown]
// ## Table 1 (mIOU / shape-mIOU, %)

// %%
await showVegaLite(table1ChartSpec(t1.records, `Table 1: mIOU, ours (${cfg.scale}) vs paper`));
showTable(
  resultsTable(
    t1.records.map((r) => ({
      col: r.column,
      method: r.method,
      class: r.class,
      'ours mIOU': r['ours mIOU %'],
      'ours shape-mIOU': r['ours shape-mIOU %'],
      'paper mIOU': r['paper mIOU %'],
      'paper shape-mIOU': r['paper shape-mIOU %'],
      'our scale': r.scale,
      // Seeds made before a fix their numbers depend on (a rerun replaces them), and why.
      note: r.note,
    })),
  ),
  { digits: 1 },
);
console.log(`table: ${t1.table.csv}\ntracking: ${t1.tracking.uri} (run ${t1.tracking.runId})`);
await tracker.close();

// %% [markdown]
// ## SRN+linear minus each column, paired by seed
// A seed draws the 30 labelled images that columns 1–3 share and seeds every training and fit, so each seed gives one
// difference: its mean ± 95% CI leaves out the spread the draw puts into both columns' own intervals above.

// %%
if (t1.differences.length) {
  showTable(
    resultsTable(
      t1.differences.map((d) => ({
        'col 2 minus': `${d.column} ${d.method}`,
        class: d.class,
        'mIOU diff': d.mIOU?.mean ?? null,
        'mIOU ± CI95': d.mIOU?.ci95 ?? null,
        'shape-mIOU diff': d.shapeMIOU?.mean ?? null,
        'shape-mIOU ± CI95': d.shapeMIOU?.ci95 ?? null,
        seeds: d.seeds.join(','),
        'stale seeds': d.staleSeeds.join(','),
      })),
    ),
    { digits: 1 },
  );
} else {
  console.log('no column shares a seed with SRN+linear yet');
}

// %% [markdown]
// ## Per test object (each class's first seed)
//
// Each test object's mIOU under every column beside the object's kind (the parts in its ground truth) and, where a
// column labelled the object as another kind, that kind ("as …", from results written since 2026-12-06): which
// objects a method's lead comes from. On the generated tables, for instance, the pool table and the ping-pong table.

// %%
// Relative data roots are the project's (this notebook runs in notebooks/); each row's own recorded root comes first.
for (const sec of table1PerObject(t1.rows, resolve('..', DATA_ROOT || cfg.data.root))) {
  console.log(`${sec.className}s, seed ${sec.seed}: mIOU % per test object`);
  showTable(
    resultsTable(
      sec.objects.map((o) => ({
        '#': o.position,
        object: o.id.slice(0, 8),
        kind: o.kind,
        ...Object.fromEntries(sec.columns.map((c, k) => [c, o.labelledAs[k] && o.labelledAs[k] !== o.kind ? `${o['mIOU %'][k]} (as ${o.labelledAs[k]})` : o['mIOU %'][k]])),
      })),
    ),
    { digits: 1 },
  );
}
