/**
 * `npx tsx bench/iou_vs_steps.ts <run dir> [--every 1000 | --steps N,M] [--out DIR] [--data DIR]` — SRN+linear's
 * test IoU against pre-training steps (issue 12: "if a target is out of reach, show the curve"): for each checkpoint a
 * `quickstart --keep-checkpoints N` run kept (`<run>/checkpoints/pretrain.step-<N>` and the newest), the quickstart
 * pipeline re-runs probe, single-view fit and evaluation from that checkpoint, unchanged. Writes
 * `<out>/iou_vs_steps.json` (step, mIOU, shape-mIOU, per-class IoU, wall seconds, load) and a chart
 * (`iou_vs_steps.png/.svg/.html`). A finished step is not re-run (its results.json is read back).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { describeBackend, nativeThreadsForPreset, selectBackend } from '../lib/backend/select';
import { runQuickstart } from '../lib/pipeline/quickstart';
import { saveFigure } from '../lib/plotting/save';
import { VEGA_LITE_SCHEMA } from '../lib/plotting/vegalite_specs';
import type { SrnConfig } from '../lib/config/types';
import { NullTracker } from '../lib/tracking/create_tracker';
import { writeJsonAtomic } from '../lib/util/atomic_write';
import { readJsonFile } from '../lib/util/json_file';

export interface Point {
  step: number;
  checkpoint: string;
  mIOU: number;
  shapeMIOU: number;
  perClassIoU: Record<string, number | null>;
  seconds: number;
  load: number;
}

/** The kept pre-training checkpoints of a quickstart run, by step (the newest folder included). */
export function keptCheckpoints(runDir: string): { step: number; dir: string }[] {
  const ck = join(runDir, 'checkpoints');
  if (!existsSync(ck)) throw new Error(`${ck}: no checkpoints folder (expected a quickstart run folder)`);
  const dirs = readdirSync(ck).filter((f) => f === 'pretrain' || /^pretrain\.step-\d+$/.test(f)).map((f) => join(ck, f));
  return dirs
    .flatMap((dir) => {
      try {
        return [{ step: (readJsonFile(join(dir, 'manifest.json'), 'the checkpoint manifest') as { step: number }).step, dir }];
      } catch {
        return []; // a torn checkpoint is not a point
      }
    })
    // One point per step: the live `pretrain` folder can sit at a kept step (just saved, or copied back to resume);
    // the kept copy wins, since the live one moves on while we read it.
    .sort((a, b) => a.step - b.step || Number(a.dir.endsWith('pretrain')) - Number(b.dir.endsWith('pretrain')))
    .filter((c, i, a) => i === 0 || a[i - 1].step !== c.step);
}

export function iouVsStepsChart(points: readonly Point[], title: string): TopLevelSpec {
  const values = points.flatMap((p) => [
    { step: p.step, series: 'mIOU', iou: 100 * p.mIOU },
    ...Object.entries(p.perClassIoU).filter(([, v]) => v !== null).map(([c, v]) => ({ step: p.step, series: c, iou: 100 * (v as number) })),
  ]);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: 420,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'pre-training steps' },
      y: { field: 'iou', type: 'quantitative', title: 'IoU (%)', scale: { domain: [0, 100] } },
      // Tables have 11 classes with long hierarchical names: 20 colours (the default 10 repeat) and whole labels.
      color: { field: 'series', type: 'nominal', title: '', scale: { scheme: 'tableau20' }, legend: { labelLimit: 400 } },
      strokeDash: { condition: { test: "datum.series === 'mIOU'", value: [1, 0] }, value: [4, 2] },
    },
  } as TopLevelSpec;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { every: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' } },
  });
  const runDir = positionals[0];
  if (!runDir) throw new Error('usage: npx tsx bench/iou_vs_steps.ts <quickstart run dir> [--every 1000 | --steps N,M] [--out DIR] [--data DIR]');
  const all = keptCheckpoints(runDir);
  if (all.length === 0) throw new Error(`${runDir}/checkpoints: no readable pre-training checkpoint`);
  // Everything but the pre-training steps is the run's own: preset, class, seed, objects, probe and fit steps.
  const m = readJsonFile(join(all.at(-1)!.dir, 'manifest.json'), 'the checkpoint manifest') as { config: SrnConfig };
  const c = m.config;
  const preset = c.preset;
  const className = c.data.className.toLowerCase();
  const every = Number(values.every ?? 1000);
  const out = resolve(values.out ?? join(runDir, 'iou-vs-steps'));
  mkdirSync(out, { recursive: true });
  const log = (m: string) => console.error(`[iou-vs-steps] ${m} (load ${loadavg()[0].toFixed(2)})`);
  const backend = await selectBackend({ nativeThreadsDefault: nativeThreadsForPreset(preset) });
  log(describeBackend(backend));
  // --steps 4000,8000 picks those checkpoints; else every `every` steps and the newest.
  const only = values.steps?.split(',').map(Number);
  const cks = all.filter((c, i, a) => (only ? only.includes(c.step) : c.step % every === 0 || i === a.length - 1));
  if (only && cks.length !== only.length) throw new Error(`--steps ${values.steps}: kept checkpoints are at steps ${all.map((c) => c.step).join(', ')}`);
  const points: Point[] = [];
  for (const ck of cks) {
    const name = `step-${ck.step}`;
    const done = join(out, name, 'results.json');
    const t = performance.now();
    if (!existsSync(done)) {
      log(`${name}: probe, fit and evaluation from ${ck.dir}`);
      await runQuickstart({
        name, out, data: values.data, preset, className, seed: c.seed, fromScratch: false, pretrained: ck.dir,
        trainInstances: c.data.maxTrainInstances ?? undefined, testInstances: c.data.maxTestInstances ?? undefined,
        steps: { pretrain: ck.step, probe: c.training.probe.steps, fit: c.training.latentFit.steps }, backend, tracker: new NullTracker(), log,
      });
    }
    const r = JSON.parse(readFileSync(done, 'utf8')) as { mIOU: number; shapeMIOU: number; perClassIoU: Record<string, number | null> };
    points.push({ step: ck.step, checkpoint: ck.dir, mIOU: r.mIOU, shapeMIOU: r.shapeMIOU, perClassIoU: r.perClassIoU, seconds: (performance.now() - t) / 1000, load: loadavg()[0] });
    log(`${name}: mIOU ${(100 * r.mIOU).toFixed(1)}%, per class ${Object.entries(r.perClassIoU).map(([c, v]) => `${c} ${v === null ? '—' : (100 * v).toFixed(1)}`).join(', ')}`);
  }
  const jsonPath = join(out, 'iou_vs_steps.json');
  writeJsonAtomic(jsonPath, { schema: 'semantic-srn/iou-vs-steps@1', run: resolve(runDir), preset, className, seed: c.seed, backend: backend.chosen, points, createdAt: new Date().toISOString() });
  const fig = await saveFigure(iouVsStepsChart(points, `SRN+linear test IoU vs pre-training steps (${preset}, ${className}, seed ${c.seed})`), join(out, 'iou_vs_steps'));
  console.log(JSON.stringify({ json: jsonPath, figure: fig.png, points: points.map((p) => ({ step: p.step, mIOU: p.mIOU })) }, null, 2));
}

if (process.argv[1]?.endsWith('iou_vs_steps.ts')) {
  main().catch((e) => {
    console.error(`iou-vs-steps: ${(e as Error).message}`);
    process.exit(1);
  });
}
