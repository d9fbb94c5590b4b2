/**
 * `npx tsx bench/part_ceiling.ts <run dir | probe checkpoint> --data ROOT [--every 5] [--out FILE]`: how well the
 * frozen features and the linear head label each part when the code is known. Each training object is rendered
 * from its own auto-decoded code (no fit) at every `every`-th view and scored like the test split:
 *   - the labelled objects (the probe's 10), at their views other than the labelled ones;
 *   - the other training objects (never labelled, but auto-decoded in pre-training).
 * Beside the run's single-view test score (its results.json), it says whether a part is lost by the features and
 * the head (low here too) or by fitting a code to one view (high here, low on the test split).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../lib/backend/select';
import { openSplit, subsetSplit } from '../lib/data/split';
import { ViewCache } from '../lib/data/view_loader';
import { KNOWN_CODE_PROTOCOL, knownCodePredictor } from '../lib/eval/known_code_predictor';
import { evaluate } from '../lib/eval/runner';
import { loadCheckpoint, restoreModel } from '../lib/training/checkpoint';
import { writeJsonAtomic } from '../lib/util/atomic_write';

interface RunResults {
  side: number;
  mIOU: number;
  shapeMIOU: number;
  perClassIoU: Record<string, number | null>;
  training?: { fewShot?: { instances: string[]; views: number[] } };
}

/** The probe checkpoint and results.json of a quickstart run folder, or a probe checkpoint folder given directly. */
export function locateRun(path: string): { checkpoint: string; results: string | undefined } {
  const p = resolve(path);
  if (existsSync(join(p, 'manifest.json'))) {
    const results = join(dirname(dirname(p)), 'results.json');
    return { checkpoint: p, results: existsSync(results) ? results : undefined };
  }
  const checkpoint = join(p, 'checkpoints', 'probe');
  if (!existsSync(join(checkpoint, 'manifest.json'))) throw new Error(`${p}: neither a checkpoint folder nor a run folder with checkpoints/probe/manifest.json`);
  const results = join(p, 'results.json');
  return { checkpoint, results: existsSync(results) ? results : undefined };
}

/** Every `every`-th view position of `count`, without `skip`. */
export function everyNth(count: number, every: number, skip: readonly number[] = []): number[] {
  if (!Number.isInteger(every) || every < 1) throw new Error(`--every: expected a positive integer, got ${every}`);
  return Array.from({ length: count }, (_, v) => v).filter((v) => v % every === 0 && !skip.includes(v));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'string' }, every: { type: 'string' }, out: { type: 'string' } } });
  if (!positionals[0] || !values.data) throw new Error('usage: npx tsx bench/part_ceiling.ts <run dir | probe checkpoint> --data ROOT [--every 5] [--out FILE]');
  const log = (m: string) => console.error(`[part-ceiling] ${m} (load ${loadavg()[0].toFixed(2)})`);
  const { checkpoint, results } = locateRun(positionals[0]);
  const ck = loadCheckpoint(checkpoint);
  if (!ck.manifest.heads.includes('linear')) throw new Error(`${checkpoint}: no linear head (expected the probe's checkpoint, stage 'probe')`);
  const config = ck.manifest.config;
  const run = results ? (JSON.parse(readFileSync(results, 'utf8')) as RunResults) : undefined;
  const side = run?.side ?? config.training.latentFit.side;
  const every = Number(values.every ?? 5);
  const backend = await selectBackend({});
  log(describeBackend(backend));
  const train = openSplit(resolve(values.data), config.data.className, 'train', { maxInstances: config.data.maxTrainInstances ?? undefined });
  if (train.instances.length !== ck.manifest.numInstances) log(`warning: ${train.instances.length} training objects here, the model has ${ck.manifest.numInstances} codes`);
  const model = restoreModel(ck);
  const labelled = new Set(run?.training?.fewShot?.instances ?? []);
  const labelledViews = run?.training?.fewShot?.views ?? [];
  const groups = [
    { name: 'labelled objects, other views', positions: train.instances.flatMap((inst, p) => (labelled.has(inst.id) ? [p] : [])), skip: labelledViews },
    { name: labelled.size ? 'unlabelled training objects' : 'training objects', positions: train.instances.flatMap((inst, p) => (labelled.has(inst.id) ? [] : [p])), skip: [] },
  ].filter((g) => g.positions.length > 0);
  const cache = new ViewCache(256 * 2 ** 20);
  const out: Record<string, unknown>[] = [];
  try {
    for (const g of groups) {
      const views = everyNth(Math.min(...g.positions.map((p) => train.instances[p].views.length)), every, g.skip);
      const split = subsetSplit(train, { positions: g.positions, views });
      const t = performance.now();
      const r = await evaluate({ split, side, protocol: KNOWN_CODE_PROTOCOL, predictor: knownCodePredictor(config, model), method: 'srn+linear (known code)', cache });
      const seconds = (performance.now() - t) / 1000;
      log(`${g.name}: ${g.positions.length} objects × ${views.length} views, mIOU ${(100 * r.mIOU).toFixed(1)}% in ${seconds.toFixed(0)} s`);
      out.push({ group: g.name, objects: g.positions.length, views, mIOU: r.mIOU, shapeMIOU: r.shapeMIOU, perClassIoU: r.perClassIoU, psnr: r.psnr, seconds, load: loadavg()[0] });
    }
  } finally {
    model.dispose();
  }
  const report = {
    schema: 'semantic-srn/part-ceiling@1',
    checkpoint,
    step: ck.manifest.step,
    preset: config.preset,
    className: config.data.className,
    side,
    every,
    backend: backend.chosen,
    knownCode: out,
    testSingleView: run ? { results, mIOU: run.mIOU, shapeMIOU: run.shapeMIOU, perClassIoU: run.perClassIoU } : null,
    createdAt: new Date().toISOString(),
  };
  const path = resolve(values.out ?? join(dirname(checkpoint), '..', 'part_ceiling.json'));
  writeJsonAtomic(path, report);
  const classes = Object.keys((out[0]?.perClassIoU as Record<string, number | null>) ?? {});
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : (100 * v).toFixed(1));
  const rows = [
    ...out.map((o) => [String(o.group), pct(o.mIOU as number), ...classes.map((c) => pct((o.perClassIoU as Record<string, number | null>)[c]))]),
    ...(run ? [['test split, single-view fit', pct(run.mIOU), ...classes.map((c) => pct(run.perClassIoU[c]))]] : []),
  ];
  console.log([`| | mIOU | ${classes.join(' | ')} |`, `|---|---|${classes.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'));
  console.log(`written ${path}`);
}

if (process.argv[1]?.endsWith('part_ceiling.ts')) {
  main().catch((e) => {
    console.error(`part-ceiling: ${(e as Error).message}`);
    process.exit(1);
  });
}
