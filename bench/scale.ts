/**
 * `npx tsx bench/scale.ts` — candidates for the 64² scale side by side in one run (docs/presets.md):
 * training-step time at 64² for phi/hyper/renderer widths and batch/ray choices, one 64² render and a
 * short single-view fit, as JSON on stdout. Timings on shared machines drift: only compare rows of the
 * same run, and read them with the load average printed beside them.
 * Options: --backend, --steps N (timed steps per case, default 4), --fit-steps N (default 20).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { describeBackend, parseBackendChoice, selectBackend } from '../lib/backend/select';
import { presetConfig } from '../lib/config/presets';
import type { DeepPartial, SrnConfig } from '../lib/config/types';
import { benchLatentFit, benchRender, benchTraining, matMulGflops } from './run';

const widths = (w: number): DeepPartial<SrnConfig> => ({ model: { latentDim: w, phiWidth: w, hyperHidden: w, rendererWidth: w } });

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string' }, steps: { type: 'string' }, 'fit-steps': { type: 'string' } } });
  const report = await selectBackend({ backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined });
  const log = (m: string) => console.error(`[bench:scale] ${m} (load ${loadavg()[0].toFixed(2)})`);
  log(describeBackend(report));
  const steps = Number(values.steps ?? 4);
  const fitSteps = Number(values['fit-steps'] ?? 20);
  const matMul = await matMulGflops(1024, 3);
  const variants: { name: string; over: DeepPartial<SrnConfig>; batchSize: number; rays: number }[] = [
    { name: 'w64, b4, whole 64² images', over: widths(64), batchSize: 4, rays: 4096 },
    { name: 'w64, b4, 1024 rays/image', over: widths(64), batchSize: 4, rays: 1024 },
    { name: 'w128, b4, 1024 rays/image', over: widths(128), batchSize: 4, rays: 1024 },
    { name: 'w128, b4, whole 64² images', over: widths(128), batchSize: 4, rays: 4096 },
    { name: 'w128, b2, whole 64² images', over: widths(128), batchSize: 2, rays: 4096 },
  ];
  const rows = [];
  for (const v of variants) {
    const config = presetConfig('cpu', { ...v.over, training: { pretrain: { raysPerImage: v.rays === 4096 ? null : v.rays } } });
    log(`training: ${v.name}`);
    const t = await benchTraining({ name: v.name, config, side: 64, batchSize: v.batchSize, raysPerImage: v.rays }, steps, 1);
    log(`render + fit: ${v.name}`);
    const render = await benchRender(v.name, config, 64, 2);
    const fitCfg = presetConfig('cpu', { ...v.over, training: { latentFit: { side: 64, steps: fitSteps } } });
    const fit = await benchLatentFit(fitCfg);
    rows.push({ ...t, loadAverage1m: Number(loadavg()[0].toFixed(2)), renderSeconds: render.seconds, fit });
  }
  console.log(JSON.stringify({ schema: 'semantic-srn/bench-scale@1', date: new Date().toISOString(), backend: describeBackend(report), matMul, rows }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exitCode = 1;
});
