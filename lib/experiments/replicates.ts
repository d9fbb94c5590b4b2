/**
 * Replicate seeds: an experiment of PER_SEED_EXPERIMENTS configured with several `seeds` runs once per seed (each
 * its own folder, results.json and tracking run, children of one parent run), then its Table 1 numbers are
 * summarised as mean ± 95% CI over the seeds, overall and per class, in `<class>-seeds.json` beside the seeds' folders.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { meanCI, type MeanCI } from '../metrics/stats';
import { writeJsonAtomic } from '../util/atomic_write';
import type { Table1ColumnId, Table1Entry } from '../eval/table1';
import { NullTracker } from '../tracking/create_tracker';
import { FAILURE_TAG } from '../tracking/lifecycle';
import { PER_SEED_EXPERIMENTS, say, throwIfInterrupted, variantSuffix, type ExperimentOptions, type ExperimentOutput } from './common';
import { finishedRun } from './finished_run';
import type { ExperimentConfig, ExperimentName } from './types';

export interface ReplicateSummaryRow {
  /** Table 1 column, or null for a result outside Table 1 (e.g. the multi-view SRN+linear fit). */
  id: Table1ColumnId | null;
  method: string;
  protocol: string;
  className: string;
  seeds: number[];
  mIOU: MeanCI;
  shapeMIOU: MeanCI;
  /** Per-class IoU over the seeds that scored the class (a class a seed never predicted nor saw counts as absent). */
  perClassIoU: Record<string, MeanCI>;
}

export interface ReplicatesOutput extends ExperimentOutput {
  seeds: number[];
  replicates: ExperimentOutput[];
  summary: ReplicateSummaryRow[];
  /** `<runsDir>/<experiment>/<scale>/<class>-seeds.json`. */
  summaryPath: string;
}

type Json = Record<string, unknown>;

type Entry = Omit<Table1Entry, 'id' | 'column'> & { id: Table1ColumnId | null };

/**
 * Table 1 entries of one replicate's results.json, each with its per-class IoU (eval file or baselines' rows); an
 * evaluation outside Table 1 gives one entry of its own scores.
 */
function entriesOf(resultsPath: string): { entry: Entry; perClass: Record<string, number | null> }[] {
  if (!existsSync(resultsPath)) return [];
  const doc = JSON.parse(readFileSync(resultsPath, 'utf8')) as Json;
  const list: Entry[] = (Array.isArray(doc.table1) ? doc.table1 : doc.table1 ? [doc.table1] : []) as Table1Entry[];
  if (list.length === 0 && typeof doc.mIOU === 'number' && typeof doc.method === 'string') {
    const protocol = doc.protocol as Json | string | undefined;
    list.push({
      id: null,
      method: doc.method,
      protocol: typeof protocol === 'string' ? protocol : String(protocol?.name ?? ''),
      className: String((doc.dataset as Json | undefined)?.className ?? ''),
      mIOU: doc.mIOU,
      shapeMIOU: typeof doc.shapeMIOU === 'number' ? doc.shapeMIOU : NaN,
      ...(typeof doc.seed === 'number' ? { seed: doc.seed } : {}),
    });
  }
  return list.map((entry) => {
    const row = (Array.isArray(doc.rows) ? (doc.rows as Json[]) : []).find((r) => r.method === entry.method && r.protocol === entry.protocol);
    return { entry, perClass: ((row?.perClassIoU ?? doc.perClassIoU) as Record<string, number | null> | undefined) ?? {} };
  });
}

/** Mean ± 95% CI per Table 1 entry (column, method, protocol) over the replicates' results files. */
export function summarizeReplicates(resultsPaths: readonly string[]): ReplicateSummaryRow[] {
  const groups = new Map<string, { entries: Entry[]; perClass: Record<string, number | null>[] }>();
  for (const p of resultsPaths) {
    for (const { entry, perClass } of entriesOf(p)) {
      const k = `${entry.id}/${entry.method}/${entry.protocol}/${entry.className}`;
      if (!groups.has(k)) groups.set(k, { entries: [], perClass: [] });
      groups.get(k)!.entries.push(entry);
      groups.get(k)!.perClass.push(perClass);
    }
  }
  return [...groups.values()].map(({ entries, perClass }) => {
    const classes = [...new Set(perClass.flatMap((c) => Object.keys(c)))];
    const perClassIoU: Record<string, MeanCI> = {};
    for (const c of classes) {
      const xs = perClass.map((pc) => pc[c]).filter((v): v is number => typeof v === 'number');
      if (xs.length) perClassIoU[c] = meanCI(xs);
    }
    const e = entries[0];
    return {
      id: e.id,
      method: e.method,
      protocol: e.protocol,
      className: e.className,
      seeds: entries.map((x) => x.seed ?? 0),
      mIOU: meanCI(entries.map((x) => x.mIOU)),
      shapeMIOU: meanCI(entries.map((x) => x.shapeMIOU)),
      perClassIoU,
    };
  });
}

/**
 * The experiments run once (not per seed) that a rerun of the same command takes whole from a finished results.json
 * with the same config fingerprint (the others resume inside: the sweep from its journal, Table 1 per column, the
 * baselines per baseline, a single-seed probe from its cached pre-training and probe).
 */
export const REUSED_WHOLE: readonly ExperimentName[] = ['mask-reconstruction', 'interpolation'];

/** A single-seed run of an experiment (the registry's dispatcher). */
export type SingleRunner = (name: ExperimentName, cfg: ExperimentConfig, opts: ExperimentOptions) => Promise<ExperimentOutput>;

/**
 * Runs `cfg` once per seed of `cfg.seeds` under one parent run (experiments outside PER_SEED_EXPERIMENTS, and a
 * single seed, run as they are, except that one of REUSED_WHOLE that finished is taken whole). The pre-training of `cfg.seed` is shared; seeds run in order, a seed that finished
 * before with the same config is reused (unless `opts.rerun`), and the others reuse the cached pre-training and probe.
 */
export async function runReplicates(name: ExperimentName, cfg: ExperimentConfig, opts: ExperimentOptions, runOne: SingleRunner): Promise<ExperimentOutput | ReplicatesOutput> {
  if (!PER_SEED_EXPERIMENTS.includes(name) || cfg.seeds.length <= 1) {
    const done = opts.rerun || !REUSED_WHOLE.includes(name) ? undefined : finishedRun(cfg, opts, (why) => say(opts, `${name}: finished before with the same config, but is stale and runs again: ${why}`));
    if (done) {
      say(opts, `${name}: finished before with the same config (${done.resultsPath}, ${done.createdAt ?? 'undated'}): reused, --rerun runs it again`);
      return done;
    }
    return runOne(name, cfg, opts);
  }
  const t0 = performance.now();
  const tracker = opts.tracker ?? new NullTracker();
  const cls = `${cfg.data.className.toLowerCase()}${variantSuffix(cfg)}`;
  const parent = await tracker.startRun({
    name: `${cfg.experiment}/${cfg.scale}/${cls}/seeds ${cfg.seeds.join(',')}`,
    parent: opts.parentRun,
    tags: { experiment: cfg.experiment, scale: cfg.scale, class: cfg.data.className, seeds: cfg.seeds.join(',') },
    params: { seeds: cfg.seeds, pretrainSeed: cfg.seed },
  });
  try {
    const replicates: ExperimentOutput[] = [];
    const reused: number[] = [];
    for (const [i, seed] of cfg.seeds.entries()) {
      throwIfInterrupted(opts, `${name} seed ${seed}`);
      // A baseline trains from scratch per seed (SRN+U-Net's semantic SRN aside): only the probe shares a pre-training.
      const shared = name === 'semi-supervised-probe' ? `; pre-training of seed ${cfg.seed} shared` : '';
      const seedCfg = { ...cfg, seeds: [seed] };
      const done = opts.rerun ? undefined : finishedRun(seedCfg, opts, (why) => say(opts, `${name}: seed ${seed} finished before with the same config, but is stale and runs again: ${why}`));
      if (done) {
        say(opts, `${name}: seed ${seed} (${i + 1} of ${cfg.seeds.length}) finished before with the same config (${done.resultsPath}, ${done.createdAt ?? 'undated'}): reused, --rerun runs it again`);
        replicates.push(done);
        reused.push(seed);
        continue;
      }
      say(opts, `${name}: seed ${seed} (${i + 1} of ${cfg.seeds.length}${shared})`);
      replicates.push(await runOne(name, seedCfg, { ...opts, parentRun: parent }));
    }
    // A reused seed has no child run here: the parent names it (its own run is the one its results.json names).
    if (reused.length) await parent.setTag('reused_seeds', reused.join(','));
    const summary = summarizeReplicates(replicates.map((r) => r.resultsPath));
    const dir = resolve(opts.runsDir ?? 'runs', cfg.experiment, cfg.scale);
    const summaryPath = join(dir, `${cls}-seeds.json`);
    const seconds = (performance.now() - t0) / 1000;
    writeJsonAtomic(summaryPath, {
      schema: 'semantic-srn/replicates@1',
      experiment: cfg.experiment,
      scale: cfg.scale,
      className: cfg.data.className,
      pretrainSeed: cfg.seed,
      seeds: cfg.seeds,
      summary,
      replicates: replicates.map((r) => r.resultsPath),
      totalSeconds: seconds,
      createdAt: new Date().toISOString(),
    });
    for (const s of summary) {
      const key = `${s.method}/${s.protocol}`.replace(/[^\w./-]/g, '_');
      parent.logMetrics({ [`${key}/mIOU_mean`]: s.mIOU.mean, [`${key}/mIOU_ci95`]: s.mIOU.ci95 ?? NaN, [`${key}/shapeMIOU_mean`]: s.shapeMIOU.mean });
      say(opts, `${name}: ${s.method} (${s.protocol}) over seeds ${s.seeds.join(',')}: mIOU ${fmt(s.mIOU)}%, shape-mIOU ${fmt(s.shapeMIOU)}%`);
    }
    await parent.logArtifact(summaryPath);
    await parent.end('FINISHED');
    return {
      experiment: cfg.experiment,
      scale: cfg.scale,
      runDir: dir,
      resultsPath: summaryPath,
      figures: Object.assign({}, ...replicates.map((r, i) => Object.fromEntries(Object.entries(r.figures).map(([k, v]) => [`seed${cfg.seeds[i]}/${k}`, v])))),
      tracking: { uri: tracker.uri, runId: parent.runId, experimentId: parent.experimentId },
      seconds,
      seeds: cfg.seeds,
      replicates,
      summary,
      summaryPath,
    };
  } catch (e) {
    await parent.setTag(FAILURE_TAG, (e as Error).message.slice(0, 4000)).catch(() => undefined);
    await parent.end('FAILED');
    throw e;
  }
}

const fmt = (s: MeanCI) => (s.ci95 === null ? (100 * s.mean).toFixed(1) : `${(100 * s.mean).toFixed(1)} ± ${(100 * s.ci95).toFixed(1)}`);
