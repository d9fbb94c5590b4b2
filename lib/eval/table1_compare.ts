/**
 * What changed between two publications of Table 1 (docs/results/NAME.json): the cells (column, class) with a seed
 * whose score differs (or that one side lacks), each with its per-seed scores, its mean ± 95% CI and SRN+linear's paired
 * difference from it on both sides. An interim table after a fix (scripts/publish-table1.ts --compare-to) says
 * what its reruns moved from these numbers, instead of hand-copied "before" figures.
 */
import { formatMeanCI, signedCI } from '../metrics/stats';

/** A published row, as NAME.json's `rows` hold it (the fields this needs). */
export interface PublishedRow {
  column: number;
  id: string;
  method: string;
  protocol: string;
  className: string;
  seed: number;
  'mIOU %': number | null;
  stale?: string;
}

/** A published record (NAME.json `records`): one column and class over its seeds. */
export interface PublishedRecord {
  id: string;
  class: string;
  'ours mIOU %': number | null;
  'ours mIOU ± CI95': number | null;
}

/** A published paired difference (NAME.json `differences`): SRN+linear minus one column, for one class. */
export interface PublishedDifference {
  class: string;
  against: string;
  mIOU: { mean: number; ci95: number | null; n: number } | null;
  staleSeeds?: number[];
}

export interface PublishedTable1 {
  rows: PublishedRow[];
  records: PublishedRecord[];
  differences: PublishedDifference[];
}

/** `doc` (read from `file`) as a published Table 1, or an error naming the field it lacks. */
export function asPublishedTable1(doc: unknown, file: string): PublishedTable1 {
  const d = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  for (const field of ['rows', 'records', 'differences'] as const) {
    if (!Array.isArray(d[field])) throw new Error(`${file}: expected a published Table 1 with a '${field}' array (scripts/publish-table1.ts writes one)`);
  }
  return d as unknown as PublishedTable1;
}

/** One seed's score on one side of a comparison (null: that side has none); shared with the sweep's comparison. */
export type SeedScore = { mIOU: number | null; stale: boolean } | null;
type Summary = { mean: number | null; ci95: number | null };

export interface ChangedCell {
  column: number;
  id: string;
  method: string;
  protocol: string;
  className: string;
  /** Every seed either side has, in order; null where that side has no row for it. */
  seeds: { seed: number; before: SeedScore; after: SeedScore }[];
  before: Summary | null;
  after: Summary | null;
  /** SRN+linear minus this column, paired by seed (null for SRN+linear itself or where a side has none). */
  pairedBefore: PublishedDifference['mIOU'];
  pairedAfter: PublishedDifference['mIOU'];
}

const side = (r: PublishedRow | undefined): SeedScore => (r ? { mIOU: r['mIOU %'], stale: Boolean(r.stale) } : null);
// A row marked stale since, with the same score, has not been rerun: not a change.
export const sameSeedScore = (a: SeedScore, b: SeedScore): boolean => (a === null ? b === null : b !== null && a.mIOU === b.mIOU);

/** "61.2", "61.2 (STALE)" or "—" for a side without one. */
export const formatSeedScore = (s: SeedScore): string => (s === null ? '—' : `${s.mIOU === null ? '—' : s.mIOU.toFixed(1)}${s.stale ? ' (STALE)' : ''}`);

/** The cells of `after` (and cells only `before` has) with a seed whose row differs, in column then class order. */
export function changedCells(before: PublishedTable1, after: PublishedTable1): ChangedCell[] {
  const key = (r: Pick<PublishedRow, 'id' | 'className' | 'protocol'>) => `${r.id}\u0000${r.className}\u0000${r.protocol}`;
  const cells = new Map<string, PublishedRow>();
  for (const r of [...after.rows, ...before.rows]) if (!cells.has(key(r))) cells.set(key(r), r);
  const summary = (doc: PublishedTable1, c: PublishedRow): Summary | null => {
    const rec = doc.records.find((x) => x.id === c.id && x.class === c.className);
    return rec ? { mean: rec['ours mIOU %'], ci95: rec['ours mIOU ± CI95'] } : null;
  };
  const paired = (doc: PublishedTable1, c: PublishedRow) => doc.differences.find((d) => d.against === c.id && d.class === c.className)?.mIOU ?? null;
  return [...cells.values()]
    .sort((a, b) => a.column - b.column || a.className.localeCompare(b.className) || a.protocol.localeCompare(b.protocol))
    .flatMap((c) => {
      const of = (doc: PublishedTable1) => doc.rows.filter((r) => key(r) === key(c));
      const seedList = [...new Set([...of(before), ...of(after)].map((r) => r.seed))].sort((a, b) => a - b);
      const seeds = seedList.map((seed) => ({ seed, before: side(of(before).find((r) => r.seed === seed)), after: side(of(after).find((r) => r.seed === seed)) }));
      if (seeds.every((s) => sameSeedScore(s.before, s.after))) return [];
      return [{
        column: c.column, id: c.id, method: c.method, protocol: c.protocol, className: c.className, seeds,
        before: summary(before, c), after: summary(after, c), pairedBefore: paired(before, c), pairedAfter: paired(after, c),
      }];
    });
}

/**
 * The changed cells as a Markdown section ("## Changed since `NAME`"), or nothing when none changed. `where` says
 * what was read: a publication's name by default, or a file or a git revision's version.
 */
export function changedCellsMarkdown(name: string, cells: readonly ChangedCell[], where = `docs/results/${name}.json`): string[] {
  if (!cells.length) return [];
  const score = formatSeedScore;
  const mean = (s: Summary | null) => (s?.mean == null ? '—' : formatMeanCI({ mean: s.mean, ci95: s.ci95 }));
  const pair = (d: ChangedCell['pairedBefore']) => (d ? signedCI(d) : '—');
  return [
    `## Changed since \`${name}\``,
    '',
    `Cells with a seed whose mIOU differs from ${where} (same column, class, protocol and seed) or that one side lacks: per seed, the column's mean ± 95% CI, and SRN+linear minus the column paired by seed, there → here.`,
    '',
    `| col | class | mIOU per seed, ${name} → here | mean, ${name} → here | SRN+linear minus it, ${name} → here |`,
    '|---|---|---|---|---|',
    ...cells.map((c) => `| ${c.column} ${c.method}${c.protocol === 'multi' ? ' (multi)' : ''} | ${c.className} | ${c.seeds.map((s) => `${s.seed}: ${score(s.before)} → ${score(s.after)}`).join('; ')} | ${mean(c.before)} → ${mean(c.after)} | ${c.id === 'srn-linear' ? '—' : `${pair(c.pairedBefore)} → ${pair(c.pairedAfter)}`} |`),
    '',
  ];
}
