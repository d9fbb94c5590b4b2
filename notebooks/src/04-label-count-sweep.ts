// Source of notebooks/04-label-count-sweep.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/04-label-count-sweep.ts` (see docs/notebooks.md).

// %% [markdown]
// # 04 · Label-count sweep (supplement Fig. 1)
//
// How does mIOU grow with the number of labelled images? For each sweep point (labelled objects × views
// per object) and each seed, `selectLabelSubset` draws the labelled images (nested across points for one
// seed), a fresh linear probe is trained on the frozen SRN's features of those images, and the probe is
// scored on the test objects, whose codes were fitted once from view 65. The curve is the mean over
// seeds with a 95% CI band. Next to it, the 2D U-Net on the same labelled images (the 30-shot recipe of
// notebook 03, its dropout chosen on validation at every point as the paper did, early-stopped on
// validation), run on the ground-truth RGB of each test view. Every record also draws the first test
// object's predictions, shown at the end.
//
// Tracking: one parent run `label-count-sweep/<scale>`, one child run per (method, point), the
// per-seed mIOU logged as steps. Pre-training is reused from notebook 01 when it exists.
//
// A sweep at 64² is hours of U-Nets: run it with the CLI in the background (`semantic-srn experiment
// label-count-sweep`, resumable) and set `RUN_MISSING = false` with `RUNS_DIR` at its runs folder to draw the records
// finished so far (its journal) and the plan of what is left, without running anything.

// %% tags=["parameters"]
const SMALL = process.env.SRN_NOTEBOOK_SMALL === '1';
// The scale (small, cpu, cpu64, paper) and class (chair, table): SRN_NOTEBOOK_SCALE / SRN_NOTEBOOK_CLASS, -p, or edit here.
let SCALE: string = SMALL ? 'small' : process.env.SRN_NOTEBOOK_SCALE || 'cpu';
// '' = the config's class
let CLASS = process.env.SRN_NOTEBOOK_CLASS ?? '';
// false: draw what RUNS_DIR holds (a finished sweep or the journal of one in progress) and run nothing
let RUN_MISSING = true;
let RUNS_DIR = SMALL ? '../out/notebooks/runs' : '../runs';
// '' = MLFLOW_TRACKING_URI if set, else ../mlruns
let TRACKING_URI = SMALL ? '../out/notebooks/mlruns' : '';
// '' = the config's data.root
let DATA_ROOT = '';

// %%
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeBackend,
  experimentRunPath,
  loadExperimentConfig,
  miouVsLabelsSpec,
  nativeThreadsForPreset,
  notebookRunOptions,
  planSweep,
  readSweep,
  resultsTable,
  runLabelCountSweep,
  type Scale,
  SCALE_PRESETS,
  selectBackend,
  showImageGrid,
  showTable,
  showVegaLite,
  staleSweepSummary,
  summarizeSeeds,
  sweepDifferences,
  sweepRenderName,
  type SweepRecord,
  withClassAndSeeds,
} from './lib';

// One TensorFlow thread is faster for the tiny and cpu presets' small ops (docs/native-backend.md, "Threads").
console.log(describeBackend(await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[SCALE as Scale]) })));

// %%
const cfg = withClassAndSeeds(loadExperimentConfig('label-count-sweep', SCALE as Scale), { className: CLASS || undefined });
console.log(`${cfg.source} · scale ${cfg.scale}: preset ${cfg.preset}, ${cfg.data.train} training / ${cfg.data.test} test ${cfg.data.className}s at ${cfg.data.resolution}² (${cfg.data.root})`);
console.log(cfg.description);
const runOptions = notebookRunOptions({ trackingUri: TRACKING_URI, runsDir: RUNS_DIR, dataRoot: DATA_ROOT, quiet: SMALL });
const tracker = runOptions.tracker;
console.log(`points: ${cfg.points.map((p) => `${p.instances}×${p.views}`).join(', ')} · seeds ${cfg.seeds.join(', ')} · methods ${cfg.methods.join(', ')}`);

// %% [markdown]
// ## What the runs folder holds, and what is left (the CLI's `--plan`)

// %%
const runDir = experimentRunPath(cfg, runOptions);
console.log(`${runDir}\n${planSweep(runDir, cfg.methods, cfg.points, cfg.seeds).map((l) => `  ${l}`).join('\n')}`);

// %% [markdown]
// ## Run the sweep (or read it: `RUN_MISSING = false`)

// %%
let sweep: { records: SweepRecord[]; summary: ReturnType<typeof summarizeSeeds>; runDir: string };
if (RUN_MISSING) {
  const ran = await runLabelCountSweep(cfg, runOptions);
  for (const s of ran.skipped) console.log(`skipped ${s.method}: ${s.reason}`);
  console.log(`${ran.records.length} probes scored on ${ran.evalImages} test images each; ${ran.seconds.toFixed(1)} s`);
  console.log(`results: ${ran.resultsPath}\ntracking: ${ran.tracking.uri} (run ${ran.tracking.runId})`);
  sweep = ran;
} else {
  // Only this configuration's methods, points and seeds; a folder of another sweep shape draws nothing.
  const src = readSweep(runDir);
  const wanted = (r: SweepRecord) => (cfg.methods as readonly string[]).includes(r.method) && cfg.seeds.includes(r.seed) && cfg.points.some((p) => p.instances === r.instances && p.views === r.views);
  const records = src.records.filter(wanted);
  console.log(`${src.state === 'finished' ? 'finished sweep' : 'sweep in progress'}: ${records.length} record(s) read from ${src.file}`);
  sweep = { records, summary: summarizeSeeds(records, 'ci95'), runDir: runDir }; // not shorthand: tslab misses top-level names there
}
// U-Net records made before a fix their numbers depend on: shown as they came out; a run of the sweep redoes them.
const stale = staleSweepSummary(sweep.records);
if (stale) console.log(`STALE: ${stale.records} U-Net record(s) made before a fix (${stale.why.join('; ')}); RUN_MISSING = true (or the CLI) runs them again`);

// %% [markdown]
// ## mIOU vs number of labelled images (mean ± 95% CI over seeds)

// %%
await showVegaLite(
  miouVsLabelsSpec(sweep.records, {
    title: `mIOU vs labelled images (${cfg.scale}, ${cfg.seeds.length} seeds, mean ± 95% CI)`,
    xTitle: 'labelled images (objects × views)',
    logX: true,
    spread: 'ci95',
  }),
);
showTable(
  resultsTable(
    sweep.summary.map((s) => ({ method: s.method, 'labelled images': s.numLabels, seeds: s.n, 'mIOU %': 100 * s.mean, '95% CI ±': 100 * s.ci95, 'std %': 100 * s.std, 'min %': 100 * s.min, 'max %': 100 * s.max })),
  ),
  { digits: 1 },
);
// SRN+linear − U-Net per point, paired by seed: both train on the seed's labelled subset, so the per-seed difference
// leaves out the spread the draw puts into both methods' own intervals.
if ((cfg.methods as readonly string[]).includes('unet')) {
  showTable(
    resultsTable(
      sweepDifferences(sweep.records, 'srn+linear', 'unet', cfg.points)
        .filter((d) => d.mIOU)
        .map((d) => ({ 'labelled images': d.numLabels, 'SRN+linear − U-Net mIOU': d.mIOU!.mean, '± CI95': d.mIOU!.ci95, 'shape-mIOU diff': d.shapeMIOU?.mean ?? null, seeds: d.seeds.join(',') })),
    ),
    { digits: 1 },
  );
}
// The U-Net's dropout, chosen on validation at every point and seed.
showTable(resultsTable(sweep.records.filter((r) => r.method === 'unet').map((r) => ({ 'objects × views': `${r.instances} × ${r.views}`, seed: r.seed, dropout: r.dropout, 'mIOU %': 100 * r.miou }))), { digits: 1 });

// %% [markdown]
// ## What the labels buy: the first test object at every point (first seed)
// Each record's figure: SRN+linear labels its renders from the code fitted to the observed view (left); the U-Net is
// given each view's true RGB. Thin parts (legs, arms) are where the label count shows.

// %%
const figures = sweep.records
  .filter((r) => r.seed === cfg.seeds[0])
  .map((r) => ({ r, file: join(sweep.runDir, sweepRenderName(r.method, r.instances, r.views, r.seed)) }))
  .filter((f) => existsSync(f.file));
if (figures.length) {
  showImageGrid(
    figures.map(({ r, file }) => ({ image: readFileSync(file), caption: `${r.method}, ${r.instances} × ${r.views} labelled` })),
    { title: `Predictions on the first test object (seed ${cfg.seeds[0]})`, cellSize: 420, cols: Math.min(cfg.points.length, 3) },
  );
} else {
  console.log('no record figures in this run (records reused from a sweep that kept none)');
}
await tracker.close();
