/**
 * The GPU check (issue 17): the `paper` preset's training step (batch 1, 64², every ray), a 64² render and a
 * single-view latent fit, on a GPU backend beside the same bench on a CPU backend; one JSON report.
 * Each backend runs in its own child process (one TensorFlow/Dawn per process, clean timings).
 *
 *   tsx bench/gpu-check.ts [--gpu webgpu|node-gpu|none] [--cpu wasm|node|cpu|none] [--steps 3] [--fit-steps 300]
 *                          [--cpu-fit-steps 10] [--fit-side 64] [--preset paper] [--budget 420] [--out FILE]
 *
 * Backends that read synchronously (node-gpu, node, wasm, cpu) run bench/run.ts's cases (pretrain, renderViews,
 * fitLatentCodes); webgpu runs their asynchronous twins (bench/gpu_step.ts). The CPU side fits fewer steps
 * (`--cpu-fit-steps`) and states its per-step time; `projected300` is that time × the GPU's fit steps, marked as
 * a projection. bench/gpu-check.sh packs and runs it on the device machine (docs/gpu.md).
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, parseBackendChoice, selectBackend, type ConcreteBackend } from '../lib/backend/select';
import { presetConfig } from '../lib/config/presets';
import type { SrnConfig } from '../lib/config/types';
import { LatentTable } from '../lib/latent/table';
import { SrnModel } from '../lib/srn/model';
import { DenseAdam, SparseAdam } from '../lib/training/adam';
import { batchFromViews } from '../lib/training/data';
import { trainableNames } from '../lib/training/stages';
import { writeJsonAtomic } from '../lib/util/atomic_write';
import { Rng } from '../lib/util/random';
import { fitLatentAsync, renderRgbAsync, trainStepAsync } from './gpu_step';
import { benchLatentFit, benchRender, benchTraining, fakeViews, forwardFlops, matMulGflops, round } from './run';
import { median } from '../lib/metrics/stats';

interface CaseSettings { preset: string; steps: number; fitSteps: number; fitSide: number; side: number }

const log = (m: string) => console.error(`[gpu-check] ${m}`);

/** The paper preset with the fit reduced to one view at `fitSide`, every ray, `fitSteps` steps. */
function configFor(s: CaseSettings): SrnConfig {
  return presetConfig(s.preset, {
    training: { pretrain: { raysPerImage: null }, latentFit: { steps: s.fitSteps, side: s.fitSide, raysPerImage: null, batchSize: 1, objectsPerStep: 1 } },
  });
}

/** A model built on the cpu backend (its init reads synchronously), used on the active one. */
async function modelOnCpu(config: SrnConfig, instances: number): Promise<SrnModel> {
  const be = tf.getBackend();
  await tf.setBackend('cpu');
  const model = new SrnModel(config.model, { numInstances: instances, seed: 0 });
  await tf.setBackend(be);
  return model;
}

/** The three cases with asynchronous reads only (webgpu). */
async function runAsyncCases(s: CaseSettings) {
  const config = configFor(s);
  const side = s.side;
  // Training step: as benchTraining (pretrain's default groups, Adam, SparseAdam codes, paper loss weights).
  const model = await modelOnCpu(config, 4);
  const names = trainableNames(model, ['hypernet', 'raymarcher', 'renderer']);
  const adam = new DenseAdam(new Map(names.map((n) => [n, model.params.get(n)!.variable])), config.training.pretrain.dense);
  const table = new LatentTable(4, config.model.latentDim, { seed: 0 });
  const latentAdam = new SparseAdam(table, config.training.pretrain.latent);
  const views = fakeViews(1, side, 1);
  const batch = batchFromViews(views);
  const times: number[] = [];
  for (let i = 0; i < s.steps + 1; i++) {
    const rec = await trainStepAsync({
      model, batch, weights: config.training.pretrain.weights, dense: { adam, names },
      latent: { table, rows: [0], adam: latentAdam }, raysPerImage: null, rng: new Rng(`gpu-check/${i}`),
    });
    if (i > 0) times.push(rec.seconds);
  }
  tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
  adam.dispose();
  const stepSeconds = median(times);
  const fwd = forwardFlops(config.model, 1, side * side);
  const training = {
    case: `${s.preset} preset, batch 1, ${side}²`, side, batchSize: 1, raysPerImage: side * side, raysPerStep: side * side, steps: times.length,
    stepSeconds: round(stepSeconds, 4), minStepSeconds: round(Math.min(...times), 4), raysPerSecond: round((side * side) / stepSeconds, 1),
    trainGflopPerStep: round((3 * fwd.total) / 1e9, 3), achievedGflops: round((3 * fwd.total) / stepSeconds / 1e9, 2),
  };
  // Render: one view, the preset's ray chunks, median of 2 after a warm-up.
  const code = model.latents.row(0);
  const v = views[0].view;
  const renderOnce = async () => {
    const t0 = performance.now();
    await renderRgbAsync(model, code, v.pose, v.intrinsics, side, config.inference.chunkRays);
    return (performance.now() - t0) / 1000;
  };
  await renderOnce();
  const rs = median([await renderOnce(), await renderOnce()]);
  const render = { case: `${s.preset} preset`, side, rays: side * side, seconds: round(rs, 4), raysPerSecond: round((side * side) / rs, 1) };
  // Single-view fit: frozen network, one code.
  const fc = config.training.latentFit;
  const fit = await fitLatentAsync(model, fakeViews(1, s.fitSide, 1, 7), {
    steps: fc.steps, raysPerImage: s.fitSide * s.fitSide, initStd: fc.initStd, adam: fc.latent, weights: fc.weights, seed: config.seed,
  });
  model.dispose();
  const latentFit = { preset: s.preset, steps: fc.steps, side: s.fitSide, seconds: round(fit.seconds, 2), secondsPerStep: round(fit.seconds / fc.steps, 4), firstLoss: round(fit.losses[0], 5), lastLoss: round(fit.losses.at(-1)!, 5) };
  return { training: [training], render: [render], latentFit };
}

/** The same cases through bench/run.ts (synchronous reads). */
async function runSyncCases(s: CaseSettings) {
  const config = configFor(s);
  const training = await benchTraining({ name: `${s.preset} preset, batch 1, ${s.side}²`, config, side: s.side, batchSize: 1, raysPerImage: s.side * s.side }, s.steps, 1);
  const render = await benchRender(`${s.preset} preset`, config, s.side, 2);
  const latentFit = await benchLatentFit(config);
  return { training: [training], render: [render], latentFit };
}

/** Child: one backend, all cases; prints one JSON line. */
async function runChild(backend: ConcreteBackend, s: CaseSettings): Promise<void> {
  const t0 = performance.now();
  const report = await selectBackend({ backend });
  log(describeBackend(report));
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const matMul = await matMulGflops(2048, 3);
  const cases = backend === 'webgpu' ? await runAsyncCases(s) : await runSyncCases(s);
  console.log(JSON.stringify({ backend: { ...report, description: describeBackend(report) }, settings: s, matMul, ...cases, peakRssMB: round(process.memoryUsage().rss / 2 ** 20, 1), seconds: round((performance.now() - t0) / 1000, 1) }));
}

function tool(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      run: { type: 'string' }, gpu: { type: 'string' }, cpu: { type: 'string' }, steps: { type: 'string' }, 'fit-steps': { type: 'string' },
      'cpu-fit-steps': { type: 'string' }, 'fit-side': { type: 'string' }, side: { type: 'string' }, preset: { type: 'string' },
      budget: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: tsx bench/gpu-check.ts [--gpu webgpu|node-gpu|none] [--cpu wasm|node|cpu|none] [--steps 3] [--fit-steps 300] [--cpu-fit-steps 10] [--fit-side 64] [--side 64] [--preset paper] [--budget 420] [--out FILE]');
    return;
  }
  const int = (name: string, v: string | undefined, dflt: number) => {
    const n = Number(v ?? dflt);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got '${v}'`);
    return n;
  };
  const base = { preset: values.preset ?? 'paper', steps: int('steps', values.steps, 3), side: int('side', values.side, 64), fitSide: int('fit-side', values['fit-side'], 64) };
  if (values.run) {
    await runChild(parseBackendChoice(values.run, '--run') as ConcreteBackend, { ...base, fitSteps: int('fit-steps', values['fit-steps'], 300) });
    return;
  }
  const pick = (v: string | undefined, dflt: string, name: string) => (v === 'none' ? null : (parseBackendChoice(v ?? dflt, name) as ConcreteBackend));
  const gpu = pick(values.gpu, 'webgpu', '--gpu');
  const cpu = pick(values.cpu, 'wasm', '--cpu');
  const fitSteps = int('fit-steps', values['fit-steps'], 300);
  const cpuFitSteps = int('cpu-fit-steps', values['cpu-fit-steps'], 10);
  const budget = int('budget', values.budget, 420);
  const t0 = performance.now();
  const results: Record<string, unknown> = {};
  for (const [role, backend, fit] of [['gpu', gpu, fitSteps], ['cpu', cpu, cpuFitSteps]] as const) {
    if (!backend) continue;
    // What is left of the budget, the CPU side last: a stalled GPU run cannot eat the whole limit.
    const left = budget - (performance.now() - t0) / 1000;
    const limit = Math.max(30, role === 'gpu' && cpu ? left * 0.6 : left);
    log(`${role}: ${backend} (limit ${Math.round(limit)} s) …`);
    const args = [...process.execArgv, __filename, '--run', backend, '--steps', String(base.steps), '--side', String(base.side), '--fit-side', String(base.fitSide), '--fit-steps', String(fit), '--preset', base.preset];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: Math.round(limit * 1000), stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    try {
      results[role] = JSON.parse(line);
    } catch {
      results[role] = { backend, error: r.error ? String(r.error.message) : `exit ${r.status ?? r.signal}: no result`, stdoutTail: (r.stdout ?? '').slice(-2000) };
    }
  }
  const g = results.gpu as { training?: { stepSeconds: number }[]; render?: { seconds: number }[]; latentFit?: { secondsPerStep: number } } | undefined;
  const c = results.cpu as typeof g;
  const ratio = (a?: number, b?: number) => (a && b ? round(b / a, 2) : null);
  const out = {
    schema: 'semantic-srn/gpu-check@1',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGB: round(totalmem() / 2 ** 30, 1), node: process.version, tfjs: tf.version.tfjs,
      nvidiaSmi: tool('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']),
      vulkan: tool('vulkaninfo', ['--summary'])?.split('\n').filter((l) => /deviceName|driverInfo|apiVersion/.test(l)).map((l) => l.trim()) ?? null,
    },
    ...results,
    cpuFitProjected: c?.latentFit ? { steps: fitSteps, seconds: round(c.latentFit.secondsPerStep * fitSteps, 1), note: `projection: ${cpuFitSteps} steps measured × ${fitSteps}` } : null,
    speedup: {
      trainingStep: ratio(g?.training?.[0]?.stepSeconds, c?.training?.[0]?.stepSeconds),
      render: ratio(g?.render?.[0]?.seconds, c?.render?.[0]?.seconds),
      latentFitStep: ratio(g?.latentFit?.secondsPerStep, c?.latentFit?.secondsPerStep),
    },
    totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  const text = JSON.stringify(out, null, 2);
  console.log(text);
  const path = values.out ?? join(__dirname, 'results', `gpu-check-${out.date.slice(0, 19).replace(/:/g, '-')}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeJsonAtomic(path, out);
  log(`written ${path}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exitCode = 1;
});
