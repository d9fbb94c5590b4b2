/**
 * `npm run bench` — speed of the model on the chosen backend, as JSON on stdout and in
 * bench/results/<date>.json (issue 3, "Speed"):
 *  - training step time and rays/s: `cpu` and `cpu64` presets (their own schedule/rays), `paper` preset at batch 1, 64²;
 *  - forward-only render rays/s (renderViews, 64², one view) for each;
 *  - seconds of a single-view latent fit at the `cpu` and `cpu64` presets (their full step counts);
 *  - peak memory: process RSS and the wasm heap (capped at 4 GiB) when on wasm;
 *  - achieved GFLOP/s of a training step (3 × forward matMul FLOPs, spec/backends.md) next to a plain
 *    1024² tf.matMul measured in the same run.
 * Options: --backend auto|wasm|cpu|node, --steps N (timed steps per case, default 5), --quick (fewer steps,
 * no paper preset), --skip-paper, --skip-cpu64, --skip-fit, --out DIR.
 * The inputs are random images with real camera poses: speed does not depend on pixel values.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { selectBackend, describeBackend, parseBackendChoice } from '../lib/backend/select';
import { presetConfig } from '../lib/config/presets';
import type { ModelConfig, SrnConfig } from '../lib/config/types';
import { lookAt, sphericalToCartesian } from '../lib/geometry/cameras';
import type { LoadedView } from '../lib/data/types';
import { SrnModel } from '../lib/srn/model';
import { renderViews } from '../lib/srn/render';
import { memorySource, type ObservedView } from '../lib/training/data';
import { fitLatentCodes, pretrain } from '../lib/training/stages';
import { median } from '../lib/metrics/stats';
import { writeJsonAtomic } from '../lib/util/atomic_write';
import { Rng } from '../lib/util/random';

// ---------------------------------------------------------------------------------------------- helpers

/** Bytes of the wasm heap when the wasm backend is active, else null. */
function wasmHeapBytes(): number | null {
  try {
    const be = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return be.wasm?.HEAPU8?.length ?? null;
  } catch {
    return null;
  }
}

/** Peak RSS and wasm heap over `sample()` calls (and a 200 ms timer in between). */
class PeakMemory {
  rss = 0;
  wasmHeap: number | null = null;
  private timer = setInterval(() => this.sample(), 200);
  constructor() {
    this.timer.unref();
  }
  sample(): void {
    this.rss = Math.max(this.rss, process.memoryUsage().rss);
    const h = wasmHeapBytes();
    if (h !== null) this.wasmHeap = Math.max(this.wasmHeap ?? 0, h);
  }
  stop() {
    clearInterval(this.timer);
    this.sample();
    return { peakRssMB: round(this.rss / 2 ** 20, 1), peakWasmHeapMB: this.wasmHeap === null ? null : round(this.wasmHeap / 2 ** 20, 1), wasmHeapCapMB: 4096 };
  }
}

export const round = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toFixed(d)) : v);

/** GFLOP/s of tf.matMul n×n·n×n (median of `reps` after a warm-up). */
export async function matMulGflops(n = 1024, reps = 5) {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    return (performance.now() - t0) / 1000;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  tf.dispose([a, b]);
  const seconds = median(times);
  return { n, seconds: round(seconds, 4), gflops: round((2 * n ** 3) / seconds / 1e9, 2) };
}

/**
 * Forward matMul FLOPs (2·m·k·n each) of one step over B images × R rays: the hyper-MLPs once per image,
 * phi at every march step and at the final points, the LSTM and step layer per march step, the pixel
 * generator at the final points. Element-wise ops are not counted (as in spec/backends.md).
 */
export function forwardFlops(m: ModelConfig, images: number, raysPerImage: number): { total: number; hypernet: number; perRay: number } {
  const F = m.phiWidth;
  let hyper = 0;
  for (let l = 0; l < m.phiLayers; l++) {
    const inDim = l === 0 ? 3 : F;
    let d = m.latentDim;
    for (let k = 0; k < m.hyperHiddenLayers; k++) {
      hyper += 2 * d * m.hyperHidden;
      d = m.hyperHidden;
    }
    hyper += 2 * d * (inDim * F + F);
  }
  const phi = 2 * (3 * F + (m.phiLayers - 1) * F * F);
  const H = m.lstmHidden;
  const lstm = 2 * (F * 4 * H + H * 4 * H) + 2 * H;
  let renderer = 0;
  let d = F;
  for (let k = 0; k < m.rendererHiddenLayers; k++) {
    renderer += 2 * d * m.rendererWidth;
    d = m.rendererWidth;
  }
  renderer += 2 * d * m.rgbChannels;
  const perRay = m.marchSteps * (phi + lstm) + phi + renderer;
  return { total: images * hyper + images * raysPerImage * perRay, hypernet: images * hyper, perRay };
}

/** `n` random views at side S with real poses on a sphere (values do not matter for speed). */
export function fakeViews(n: number, side: number, instances: number, seed = 0): ObservedView[] {
  const rng = new Rng(`bench/${seed}`);
  const f = 1.2 * side;
  return Array.from({ length: n }, (_, i) => {
    const view: LoadedView = {
      rgba: rng.uniformArray(side * side * 4, -1, 1),
      pose: lookAt(sphericalToCartesian(1.3, rng.uniform(0, 2 * Math.PI), rng.uniform(-0.5, 1))),
      intrinsics: { fx: f, fy: f, cx: side / 2, cy: side / 2, height: side, width: side },
    };
    return { instanceIndex: i % instances, view, viewIndex: i };
  });
}

export interface TrainCase {
  name: string;
  config: SrnConfig;
  side: number;
  batchSize: number;
  raysPerImage: number;
}

export async function benchTraining(c: TrainCase, steps: number, warmup: number) {
  const instances = Math.max(c.batchSize, 4);
  const model = new SrnModel(c.config.model, { numInstances: instances, seed: 0 });
  const cfg: SrnConfig = {
    ...c.config,
    training: { ...c.config.training, pretrain: { ...c.config.training.pretrain, schedule: [{ side: c.side, batchSize: c.batchSize, steps: steps + warmup }] } },
  };
  const data = memorySource(fakeViews(instances * 2, c.side, instances), 'bench');
  const res = await pretrain(cfg, model, data, { onProgress: false, maxSteps: steps + warmup });
  res.adam?.dispose();
  const times = res.history.slice(warmup).map((r) => r.seconds);
  const stepSeconds = median(times);
  const rays = c.batchSize * c.raysPerImage;
  const fwd = forwardFlops(c.config.model, c.batchSize, c.raysPerImage);
  const params = model.parameterCounts();
  model.dispose();
  return {
    case: c.name,
    side: c.side,
    batchSize: c.batchSize,
    raysPerImage: c.raysPerImage,
    raysPerStep: rays,
    steps: times.length,
    stepSeconds: round(stepSeconds, 4),
    minStepSeconds: round(Math.min(...times), 4),
    raysPerSecond: round(rays / stepSeconds, 1),
    trainGflopPerStep: round((3 * fwd.total) / 1e9, 3),
    achievedGflops: round((3 * fwd.total) / stepSeconds / 1e9, 2),
    parameters: params.total,
  };
}

export async function benchRender(name: string, config: SrnConfig, side: number, reps: number) {
  const model = new SrnModel(config.model, { numInstances: 1, seed: 0 });
  const [v] = fakeViews(1, side, 1);
  const code = model.latents.row(0);
  const once = () => {
    const t0 = performance.now();
    renderViews(model, code, [v.view.pose], v.view.intrinsics, { side, chunkRays: config.inference.chunkRays });
    return (performance.now() - t0) / 1000;
  };
  once();
  const times = Array.from({ length: reps }, once);
  model.dispose();
  const s = median(times);
  const fwd = forwardFlops(config.model, 1, side * side);
  return { case: name, side, rays: side * side, seconds: round(s, 4), raysPerSecond: round((side * side) / s, 1), achievedGflops: round(fwd.total / s / 1e9, 2) };
}

/** One object fitted alone, then `objectsPerStep` objects sharing each step (the evaluation's way): seconds per object. */
export async function benchLatentFit(config: SrnConfig) {
  const fc = config.training.latentFit;
  const model = new SrnModel(config.model, { numInstances: 4, seed: 0 });
  const G = fc.objectsPerStep;
  const objects = Array.from({ length: G }, (_, o) => fakeViews(1, fc.side, 1, o));
  const time = async (objs: typeof objects, objectsPerStep: number) => {
    const t0 = performance.now();
    const res = await fitLatentCodes(config, model, objs, { onProgress: false, objectsPerStep });
    return { seconds: (performance.now() - t0) / 1000, steps: res.history[0].length };
  };
  const solo = await time(objects.slice(0, 1), 1);
  const joint = G > 1 ? await time(objects, G) : null;
  model.dispose();
  return {
    preset: config.preset,
    steps: solo.steps,
    side: fc.side,
    raysPerImage: fc.raysPerImage,
    seconds: round(solo.seconds, 2),
    secondsPerStep: round(solo.seconds / solo.steps, 4),
    objectsPerStep: G,
    jointSeconds: joint ? round(joint.seconds, 2) : null,
    jointSecondsPerObject: joint ? round(joint.seconds / G, 2) : null,
  };
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' }, steps: { type: 'string' }, quick: { type: 'boolean' }, 'skip-paper': { type: 'boolean' },
      'skip-fit': { type: 'boolean' }, 'skip-cpu64': { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench -- [--backend auto|wasm|cpu|node] [--steps N] [--quick] [--skip-paper] [--skip-cpu64] [--skip-fit] [--out DIR]');
    return;
  }
  const report = await selectBackend({ backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined });
  const log = (m: string) => console.error(`[bench] ${m}`);
  log(describeBackend(report));
  const quick = values.quick ?? false;
  const steps = Number(values.steps ?? (quick ? 2 : 5));
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: expected a positive integer, got '${values.steps}'`);
  const mem = new PeakMemory();
  const t0 = performance.now();

  log('matMul 1024³ …');
  const matMul = await matMulGflops(1024, quick ? 3 : 5);
  mem.sample();

  const cpu = presetConfig('cpu');
  const cpuStage = cpu.training.pretrain.schedule[0];
  const cases: TrainCase[] = [
    { name: 'cpu preset', config: cpu, side: cpuStage.side, batchSize: cpuStage.batchSize, raysPerImage: Math.min(cpu.training.pretrain.raysPerImage ?? Infinity, cpuStage.side ** 2) },
  ];
  // The 64² scale beside the cpu scale (issue 12): its own schedule's batch over whole 64² images.
  const cpu64 = presetConfig('cpu64');
  const cpu64Stage = cpu64.training.pretrain.schedule[0];
  if (!values['skip-cpu64']) {
    cases.push({ name: 'cpu64 preset', config: cpu64, side: cpu64Stage.side, batchSize: cpu64Stage.batchSize, raysPerImage: cpu64Stage.side ** 2 });
  }
  const paper = presetConfig('paper', { training: { pretrain: { raysPerImage: null } } });
  if (!quick && !values['skip-paper']) cases.push({ name: 'paper preset, batch 1, 64²', config: paper, side: 64, batchSize: 1, raysPerImage: 64 * 64 });

  const training = [];
  for (const c of cases) {
    log(`training step: ${c.name} (${steps} timed steps + 1 warm-up) …`);
    training.push(await benchTraining(c, steps, 1));
    mem.sample();
  }
  const render = [];
  log('render: cpu preset 64² …');
  render.push(await benchRender('cpu preset', cpu, 64, quick ? 1 : 3));
  if (!values['skip-cpu64']) {
    log('render: cpu64 preset 64² …');
    render.push(await benchRender('cpu64 preset', cpu64, 64, quick ? 1 : 3));
  }
  if (!quick && !values['skip-paper']) {
    log('render: paper preset 64² …');
    render.push(await benchRender('paper preset', paper, 64, 2));
  }
  mem.sample();
  let latentFit = null;
  if (!values['skip-fit']) {
    log(`single-view latent fit: cpu preset, ${cpu.training.latentFit.steps} steps, 1 object, then ${cpu.training.latentFit.objectsPerStep} per step …`);
    latentFit = await benchLatentFit(quick ? presetConfig('cpu', { training: { latentFit: { steps: 20 } } }) : cpu);
  }
  let latentFit64 = null;
  if (!values['skip-fit'] && !values['skip-cpu64']) {
    log(`single-view latent fit: cpu64 preset, ${cpu64.training.latentFit.steps} steps at 64², 1 object, then ${cpu64.training.latentFit.objectsPerStep} per step …`);
    latentFit64 = await benchLatentFit(quick ? presetConfig('cpu64', { training: { latentFit: { steps: 20 } } }) : cpu64);
  }
  const memory = mem.stop();

  const out = {
    schema: 'semantic-srn/bench@1',
    date: new Date().toISOString(),
    backend: { ...report, description: describeBackend(report) },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, tfjs: tf.version.tfjs },
    matMul,
    training: training.map((t) => ({ ...t, fractionOfMatMul: round(t.achievedGflops / matMul.gflops, 3) })),
    render,
    latentFit,
    latentFit64,
    memory,
    targets: {
      singleViewFitUnder30s: latentFit ? latentFit.seconds < 30 : null,
      singleViewFitUnder30sPerObjectJoint: latentFit?.jointSecondsPerObject != null ? latentFit.jointSecondsPerObject < 30 : null,
      trainingStepAtLeastHalfMatMul: training.map((t) => ({ case: t.case, pass: t.achievedGflops >= 0.5 * matMul.gflops })),
    },
    flopCounting: 'training FLOPs = 3 × forward matMul FLOPs (hyper-MLPs per image; phi × (marchSteps + 1), LSTM and step layer per march step, pixel generator per ray)',
    totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  const text = JSON.stringify(out, null, 2);
  console.log(text);
  const dir = values.out ?? join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${out.date.slice(0, 19).replace(/:/g, '-')}.json`);
  writeJsonAtomic(path, out);
  log(`written ${path}`);
}

// Its pieces are reused by bench/gpu-check.ts and bench/scale.ts: run only as the entry point (also when bundled into another one).
if (require.main === module && basename(process.argv[1] ?? '').startsWith('run.')) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exitCode = 1;
  });
}
