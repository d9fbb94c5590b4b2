/**
 * What a label-count sweep's folder holds, read without running anything: the finished results or the journal of a
 * run in progress, and per (method, point) what is done and what is left. `experiment label-count-sweep --plan` and
 * scripts/publish-sweep.ts read it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { median, pct1, percentCI, type PercentCI } from '../metrics/stats';
import { journalSize } from '../util/record_journal';
import { formatDuration } from '../training/progress';
import { staleSweepRecord } from '../eval/result_code';
import type { SweepRecord } from './label_count_sweep';

export type SweepPoint = { instances: number; views: number };

/** What a sweep's folder holds: the finished results or the journal of a run in progress, and what it was run with. */
export interface SweepSource {
  state: 'finished' | 'partial';
  file: string;
  records: SweepRecord[];
  points: SweepPoint[];
  seeds: number[];
  /** Seconds of the whole finished run (one sitting or the last); null for a journal. */
  totalSeconds: number | null;
}

const RECORD_FIELDS = ['method', 'numLabels', 'seed', 'miou', 'shapeMIOU', 'instances', 'views', 'probeSeconds'] as const;

/** Reads a sweep's folder; errors name the file and the field that is missing or wrong. */
export function readSweep(runDir: string): SweepSource {
  const finished = join(runDir, 'results.json');
  const journal = join(runDir, 'records.partial.json');
  // Both exist while a finished sweep's stale records run again (the journal holds the reused records and the new
  // ones, and results.json is rewritten at the end): the newer one is the sweep's state. A journal older than
  // results.json was left by a stop between writing the results and removing it.
  const newer = (a: string, b: string) => statSync(a).mtimeMs > statSync(b).mtimeMs;
  const file = existsSync(finished) ? (existsSync(journal) && newer(journal, finished) ? journal : finished) : existsSync(journal) ? journal : null;
  if (!file) throw new Error(`${runDir}: neither results.json (a finished sweep) nor records.partial.json (one in progress); run \`experiment label-count-sweep\` first`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const fp = (file === finished ? doc.recordsFingerprint : doc.fingerprint) as { points?: unknown; seeds?: unknown } | undefined;
  const fpField = file === finished ? 'recordsFingerprint' : 'fingerprint';
  if (!fp || !Array.isArray(fp.points) || !Array.isArray(fp.seeds)) {
    throw new Error(`${file}: field '${fpField}' with points and seeds expected (a sweep from before commit cbee3db does not record it: rerun it)`);
  }
  if (!Array.isArray(doc.records)) throw new Error(`${file}: field 'records' must be an array`);
  doc.records.forEach((r: Record<string, unknown>, i) => {
    for (const f of RECORD_FIELDS) {
      const ok = f === 'method' ? typeof r[f] === 'string' : typeof r[f] === 'number' && Number.isFinite(r[f]);
      if (!ok) throw new Error(`${file}: records[${i}].${f} must be ${f === 'method' ? 'a string' : 'a finite number'}, got ${JSON.stringify(r[f])}`);
    }
  });
  const total = (doc.totalSeconds as number | undefined) ?? null;
  return { state: file === finished ? 'finished' : 'partial', file, records: doc.records as SweepRecord[], points: fp.points as SweepPoint[], seeds: fp.seeds as number[], totalSeconds: file === finished ? total : null };
}

/** One (method, point) of the sweep: its seeds' records, mean ± 95% CI in %, and the seeds still to run. */
export interface SweepCell {
  method: string;
  instances: number;
  views: number;
  numLabels: number;
  seeds: number[];
  missingSeeds: number[];
  mIOU: PercentCI | null;
  shapeMIOU: PercentCI | null;
  /** `stale`: why a record made before a fix it depends on is run again (absent when current). */
  perSeed: { seed: number; 'mIOU %': number | null; 'shape-mIOU %': number | null; dropout: number | null; seconds: number; stale?: string }[];
}

/** Every (method, point) the sweep asks for, in the sweep's order, with what is done of it. */
export function sweepCells(records: readonly SweepRecord[], methods: readonly string[], points: readonly SweepPoint[], seeds: readonly number[]): SweepCell[] {
  const stat = (xs: number[]) => (xs.length ? percentCI(xs) : null);
  return methods.flatMap((method) =>
    points.map((p) => {
      const mine = seeds.map((seed) => records.find((r) => r.method === method && r.instances === p.instances && r.views === p.views && r.seed === seed)).filter((r): r is SweepRecord => !!r);
      return {
        method,
        instances: p.instances,
        views: p.views,
        numLabels: p.instances * p.views,
        seeds: mine.map((r) => r.seed),
        missingSeeds: seeds.filter((s) => !mine.some((r) => r.seed === s)),
        mIOU: stat(mine.map((r) => r.miou)),
        shapeMIOU: stat(mine.map((r) => r.shapeMIOU)),
        perSeed: mine.map((r) => {
          const stale = staleSweepRecord(r);
          return { seed: r.seed, 'mIOU %': pct1(r.miou), 'shape-mIOU %': pct1(r.shapeMIOU), dropout: r.dropout ?? null, seconds: Math.round(r.probeSeconds), ...(stale ? { stale } : {}) };
        }),
      };
    }),
  );
}

/**
 * What `experiment label-count-sweep --plan` prints for a sweep folder and the configuration about to run: what is
 * done, what is left per method and point, and about how long it takes (the median of that method's finished records
 * at the point, else at the largest smaller point: a lower bound).
 * Reads, writes nothing; whether a journal's pre-training matches is checked when the sweep runs.
 */
export function planSweep(runDir: string, methods: readonly string[], points: readonly SweepPoint[], seeds: readonly number[]): string[] {
  const total = methods.length * points.length * seeds.length;
  const sameShape = (s: SweepSource) => JSON.stringify(s.points) === JSON.stringify(points) && JSON.stringify(s.seeds) === JSON.stringify(seeds);
  let src: SweepSource | undefined;
  try {
    src = readSweep(runDir);
  } catch (e) {
    if (existsSync(join(runDir, 'results.json')) || existsSync(join(runDir, 'records.partial.json'))) return [`${(e as Error).message}: the sweep will start afresh`];
  }
  if (src && !sameShape(src)) {
    return [`${src.file} holds a sweep of other points or seeds: this one starts afresh (${total} records)${src.state === 'partial' ? '; that journal is set aside, not deleted' : ''}`];
  }
  // Stale records (U-Net ones made before a fix) run again: they count as left, and time what is left.
  const stale = (src?.records ?? []).filter((r) => staleSweepRecord(r) !== null);
  const cells = sweepCells((src?.records ?? []).filter((r) => staleSweepRecord(r) === null), methods, points, seeds);
  const done = cells.reduce((n, c) => n + c.seeds.length, 0);
  if (src?.state === 'finished' && done === total) {
    return [`finished (${src.file}): all ${total} records; the same command reuses them and only draws the figure (--rerun runs it all)`];
  }
  const lines = [src ? `${done} of ${total} records done (${src.file}); the rest resume where the journal stopped, if its pre-training is the same` : `nothing done yet: ${total} records`];
  if (stale.length) lines.push(`  ${stale.length} of them stale, run again: ${staleSweepRecord(stale[0])}`);
  for (const m of methods) {
    const mine = cells.filter((c) => c.method === m);
    const left = mine.reduce((n, c) => n + c.missingSeeds.length, 0);
    if (!left) continue;
    const done = (src?.records ?? []).filter((r) => r.method === m);
    if (!done.length) {
      lines.push(`  ${m}: ${left} record(s) left (time unknown: none finished here)`);
      continue;
    }
    // A record's time grows with its label count (the U-Net's chairs: 6 min at 1 image, 34 at 10, 45 at 30), so each
    // point is timed by its own finished records, else by the largest smaller point's: then only a lower bound.
    const timed = mine.filter((c) => c.missingSeeds.length).map((c) => {
      const at = (n: number) => done.filter((r) => r.numLabels === n).map((r) => r.probeSeconds);
      const own = at(c.numLabels);
      const below = [...new Set(done.map((r) => r.numLabels))].filter((n) => n < c.numLabels).sort((a, b) => b - a)[0];
      const times = own.length ? own : below !== undefined ? at(below) : done.map((r) => r.probeSeconds);
      const how = own.length ? `median of ${own.length} there` : below !== undefined ? `none there yet: timed as ${below} image(s), a lower bound` : `none there yet: the median of all ${times.length}, a guess`;
      return { c, each: median(times), bound: !own.length, how };
    });
    const total = timed.reduce((a, t) => a + t.each * t.c.missingSeeds.length, 0);
    lines.push(`  ${m}: ${left} record(s) left, ${timed.some((t) => t.bound) ? 'at least ' : 'about '}${formatDuration(total)} in all`);
    for (const t of timed) lines.push(`    ${t.c.numLabels} image(s): ${t.c.missingSeeds.length} left, ${t.bound ? 'at least' : 'about'} ${formatDuration(t.each)} each (${t.how})`);
  }
  if (cells.some((c) => c.method === 'srn+linear' && c.missingSeeds.length)) {
    const kept = journalSize(join(runDir, 'test-codes.partial.json'));
    const codes = kept ? `; ${kept} test code(s) fitted before are in its journal (used if the pre-training and fit are the same)` : '';
    lines.push(`  first the test codes are fitted (single view) and their features rendered, while SRN+linear records are left (not in the estimate)${codes}`);
  }
  return lines;
}
