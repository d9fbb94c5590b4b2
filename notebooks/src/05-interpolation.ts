// Source of notebooks/05-interpolation.ipynb — edit this file, then run
// `python3 tools/ts-to-ipynb.py notebooks/src/05-interpolation.ts` (see docs/notebooks.md).

// %% [markdown]
// # 05 · Latent interpolation while orbiting (Fig. 5)
//
// Two test objects are reconstructed from a single view each; their codes are interpolated linearly,
// frame j of N using z = (1 − j/N)·z_A + (j/N)·z_B, while the camera orbits the object at 22.5° altitude
// (`orbitPoses`, reference §7.1). Every frame is rendered as RGB and as labels of the linear probe from
// notebook 01 (reused when present, else trained here). Outputs: RGB and label strips, one PNG per frame
// (RGB | labels) and an animated GIF.

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
  runInterpolation,
  type Scale,
  SCALE_PRESETS,
  selectBackend,
  showBundle,
  showImageGrid,
  showTable,
  withClassAndSeeds,
} from './lib';

// One TensorFlow thread is faster for the tiny and cpu presets' small ops (docs/native-backend.md, "Threads").
console.log(describeBackend(await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[SCALE as Scale]) })));

// %%
const cfg = withClassAndSeeds(loadExperimentConfig('interpolation', SCALE as Scale), { className: CLASS || undefined });
console.log(`${cfg.source} · scale ${cfg.scale}: preset ${cfg.preset}, ${cfg.data.train} training / ${cfg.data.test} test ${cfg.data.className}s at ${cfg.data.resolution}² (${cfg.data.root})`);
console.log(cfg.description);
const runOptions = notebookRunOptions({ trackingUri: TRACKING_URI, runsDir: RUNS_DIR, dataRoot: DATA_ROOT, quiet: SMALL });
const tracker = runOptions.tracker;
console.log(`pair: test objects ${cfg.pair.join(' and ')} · ${cfg.frames} frames at ${cfg.side}² · codes from ${cfg.fitProtocol} view`);

// %% [markdown]
// ## Fit the two codes and render the orbit

// %%
const interp = await runInterpolation(cfg, runOptions);
console.log(`${interp.objects[0].slice(0, 8)} → ${interp.objects[1].slice(0, 8)}: ${interp.frames} frames in ${interp.seconds.toFixed(1)} s`);

// %% [markdown]
// ## Animation (RGB | labels)

// %%
if (interp.gif) {
  const b64 = readFileSync(interp.gif).toString('base64');
  showBundle(
    { 'text/html': `<img src="data:image/gif;base64,${b64}" style="image-rendering:pixelated;width:${2 * Math.max(256, 2 * interp.side)}px">`, 'text/plain': `animated GIF: ${interp.gif}` },
    {},
    'interpolation GIF',
  );
}

// %% [markdown]
// ## Strips: RGB (top) and labels (bottom) at evenly spaced frames

// %%
showImageGrid([{ image: readFileSync(interp.strip) }], { cellSize: 900 });
showTable(
  resultsTable(
    interp.stripT.map((t, i) => {
      const frame = Math.round(t * interp.frames);
      return { column: i, frame: frame, 't = j/N': t, 'foreground %': 100 * interp.foreground[frame] };
    }),
  ),
  { digits: 2 },
);
console.log(`frames: ${interp.framePaths.length} PNGs in ${interp.runDir}/frames · GIF ${interp.gif ?? 'off'}\ntracking: ${interp.tracking.uri} (run ${interp.tracking.runId})`);
await tracker.close();
