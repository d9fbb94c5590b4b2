// Source of notebooks/06-mask-reconstruction.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/06-mask-reconstruction.ts` (see docs/notebooks.md).

// %% [markdown]
// # 06 · Reconstruction from a segmentation mask (Fig. 6)
//
// A fresh latent code is fitted to **one segmentation mask** (view 65) of a test object through the frozen
// linear head — 8·cross-entropy, no RGB, no regularisers (the semi-supervised "reverse" variant of
// reference §4.5) — and then rendered from new poses as RGB and labels. The RGB was never observed: it
// comes from the prior the SRN learnt during pre-training. Scores: label mIOU over the evaluated views and
// RGB PSNR.

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
  describeBackend,
  loadExperimentConfig,
  nativeThreadsForPreset,
  notebookRunOptions,
  resultsTable,
  runMaskReconstruction,
  type Scale,
  SCALE_PRESETS,
  selectBackend,
  showImageGrid,
  showTable,
  signedCI,
  withClassAndSeeds,
} from './lib';

// One TensorFlow thread is faster for the tiny and cpu presets' small ops (docs/native-backend.md, "Threads").
console.log(describeBackend(await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[SCALE as Scale]) })));

// %%
const cfg = withClassAndSeeds(loadExperimentConfig('mask-reconstruction', SCALE as Scale), { className: CLASS || undefined });
console.log(`${cfg.source} · scale ${cfg.scale}: preset ${cfg.preset}, ${cfg.data.train} training / ${cfg.data.test} test ${cfg.data.className}s at ${cfg.data.resolution}² (${cfg.data.root})`);
console.log(cfg.description);
const runOptions = notebookRunOptions({ trackingUri: TRACKING_URI, runsDir: RUNS_DIR, dataRoot: DATA_ROOT, quiet: SMALL });
const tracker = runOptions.tracker;
console.log(`objects ${cfg.instances.join(', ')} · mask of view ${cfg.maskView} · ${cfg.novelViews} novel poses each`);

// %% [markdown]
// ## Fit codes from masks, render new poses

// %%
const masks = await runMaskReconstruction(cfg, runOptions);
console.log(`first head (${cfg.heads[0]}): mIOU ${(100 * masks.mIOU).toFixed(1)}% · shape-mIOU ${(100 * masks.shapeMIOU).toFixed(1)}% · RGB PSNR ${masks.psnr.toFixed(2)} dB; ${masks.seconds.toFixed(1)} s`);
// One row per head: the linear probe of the RGB-pre-trained SRN, and the fully supervised semantic SRN's U-Net head
// (the paper's Fig. 6 model).
showTable(
  resultsTable(
    Object.entries(masks.heads).map(([head, h]) => ({
      head,
      'mIOU %': 100 * h!.mIOU,
      'shape-mIOU %': 100 * h!.shapeMIOU,
      'RGB PSNR dB': h!.psnr,
      "objects' mIOU %": h!.perObjectMIOU.mean,
      '± CI95': h!.perObjectMIOU.ci95,
    })),
  ),
  { digits: 2 },
);
// The heads compared per object (each code fitted from the same mask through each head).
if (masks.headDifference) {
  const d = masks.headDifference;
  console.log(`U-Net head − linear head, paired over ${d.objects.length} object(s): ${signedCI(d.mIOU)} points mIOU`);
}

// %% [markdown]
// ## Input mask | predicted RGB | ground-truth RGB | predicted labels | ground-truth labels
// One row per novel pose.

// %%
showImageGrid(
  masks.objects.map((o) => ({ image: readFileSync(o.figure), caption: `test object ${o.position} (${o.id.slice(0, 8)})` })),
  { title: `Reconstruction from one segmentation mask (${cfg.heads[0]} head)`, cellSize: 420, cols: Math.min(3, masks.objects.length) },
);
const unetFigures = Object.entries(masks.figures).filter(([k]) => k.startsWith('unet_object'));
if (unetFigures.length > 0) {
  showImageGrid(
    unetFigures.map(([k, f]) => ({ image: readFileSync(f), caption: k.replace('unet_object', 'U-Net head, object ') })),
    { title: 'Reconstruction from one segmentation mask (semantic SRN, U-Net head)', cellSize: 420, cols: Math.min(3, unetFigures.length) },
  );
}
showTable(
  resultsTable(
    masks.objects.map((o) => ({ object: o.id.slice(0, 8), 'mIOU %': 100 * o.mIOU, 'shape-mIOU %': 100 * o.shapeMIOU, 'RGB PSNR dB': o.psnr, 'final fit loss': o.fitLoss[o.fitLoss.length - 1] ?? null })),
  ),
  { digits: 2 },
);
console.log(`results: ${masks.resultsPath}\ntracking: ${masks.tracking.uri} (run ${masks.tracking.runId})`);
await tracker.close();
