/**
 * What changed between two publications of a label-count sweep (docs/results/NAME/sweep.json): the (method, point)
 * cells with a seed whose mIOU differs or that one side lacks, with their mean ± 95% CI and the paired difference
 * at that point on both sides. A sweep is republished in place (same NAME), so its earlier version is read from git
 * (scripts/publish-sweep.ts --compare-to REV) and the section says what the reruns moved.
 */
import { formatMeanCI, signedCI, type PercentCI } from '../metrics/stats';
import { formatSeedScore, sameSeedScore, type SeedScore } from '../eval/table1_compare';

/** A published cell (sweep.json `cells`), the fields this needs. */
export interface PublishedSweepCell {
  method: string;
  instances: number;
  views: number;
  numLabels: number;
  mIOU: PercentCI | null;
  perSeed: { seed: number; 'mIOU %': number | null; stale?: string }[];
}

/** A published paired difference at one point (sweep.json `differences.points`). */
export interface PublishedSweepDifference {
  instances: number;
  views: number;
  mIOU: PercentCI | null;
}

export interface PublishedSweep {
  cells: PublishedSweepCell[];
  differences?: { a: string; b: string; points: PublishedSweepDifference[] };
}

/** `doc` (read from `file`) as a published sweep, or an error naming the field that is wrong. */
export function asPublishedSweep(doc: unknown, file: string): PublishedSweep {
  const d = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  if (!Array.isArray(d.cells)) throw new Error(`${file}: expected a published sweep with a 'cells' array (scripts/publish-sweep.ts writes one)`);
  d.cells.forEach((c: Record<string, unknown>, i) => {
    if (typeof c?.method !== 'string' || typeof c.instances !== 'number' || typeof c.views !== 'number' || !Array.isArray(c.perSeed)) {
      throw new Error(`${file}: cells[${i}] needs method, instances, views and a perSeed array`);
    }
  });
  if (d.differences !== undefined && !Array.isArray((d.differences as { points?: unknown })?.points)) {
    throw new Error(`${file}: 'differences' must hold a 'points' array`);
  }
  return d as unknown as PublishedSweep;
}

export interface ChangedSweepCell {
  method: string;
  instances: number;
  views: number;
  numLabels: number;
  /** Every seed either side has, in order; null where that side has no record for it. */
  seeds: { seed: number; before: SeedScore; after: SeedScore }[];
  before: PercentCI | null;
  after: PercentCI | null;
  /** The sweep's paired difference (a − b) at this point, both sides; null where a side has none. */
  pairedBefore: PercentCI | null;
  pairedAfter: PercentCI | null;
}

/** The cells of `after` (then those only `before` has) with a seed whose record differs, in the sweep's order. */
export function changedSweepCells(before: PublishedSweep, after: PublishedSweep): ChangedSweepCell[] {
  const key = (c: Pick<PublishedSweepCell, 'method' | 'instances' | 'views'>) => `${c.method}\u0000${c.instances}x${c.views}`;
  const cells = new Map<string, PublishedSweepCell>();
  for (const c of [...after.cells, ...before.cells]) if (!cells.has(key(c))) cells.set(key(c), c);
  const find = (doc: PublishedSweep, c: PublishedSweepCell) => doc.cells.find((x) => key(x) === key(c));
  const paired = (doc: PublishedSweep, c: PublishedSweepCell) =>
    doc.differences?.points.find((p) => p.instances === c.instances && p.views === c.views)?.mIOU ?? null;
  return [...cells.values()].flatMap((c) => {
    const b = find(before, c);
    const a = find(after, c);
    const side = (cell: PublishedSweepCell | undefined, seed: number): SeedScore => {
      const s = cell?.perSeed.find((x) => x.seed === seed);
      return s ? { mIOU: s['mIOU %'], stale: Boolean(s.stale) } : null;
    };
    const seedList = [...new Set([...(b?.perSeed ?? []), ...(a?.perSeed ?? [])].map((s) => s.seed))].sort((x, y) => x - y);
    const seeds = seedList.map((seed) => ({ seed, before: side(b, seed), after: side(a, seed) }));
    if (seeds.every((s) => sameSeedScore(s.before, s.after))) return [];
    return [{
      method: c.method, instances: c.instances, views: c.views, numLabels: c.instances * c.views, seeds,
      before: b?.mIOU ?? null, after: a?.mIOU ?? null, pairedBefore: paired(before, c), pairedAfter: paired(after, c),
    }];
  });
}

/** The changed cells as "## Changed since LABEL", or nothing when none changed. `pair` names the difference (a − b). */
export function changedSweepMarkdown(label: string, cells: readonly ChangedSweepCell[], pair: readonly [string, string] | null): string[] {
  if (!cells.length) return [];
  const score = formatSeedScore;
  const mean = (s: PercentCI | null) => (s ? formatMeanCI(s) : '—');
  const diff = (d: PercentCI | null) => (d ? signedCI(d) : '—');
  return [
    `## Changed since ${label}`,
    '',
    `Methods and points with a seed whose mIOU differs from ${label} (same method, objects × views and seed) or that one side lacks: per seed, the mean ± 95% CI${pair ? `, and ${pair[0]} − ${pair[1]} at that point paired by seed` : ''}, there → here.`,
    '',
    `| method | objects × views | mIOU per seed, there → here | mean, there → here |${pair ? ` ${pair[0]} − ${pair[1]}, there → here |` : ''}`,
    `|---|---|---|---|${pair ? '---|' : ''}`,
    ...cells.map((c) =>
      `| ${c.method} | ${c.instances} × ${c.views} | ${c.seeds.map((s) => `${s.seed}: ${score(s.before)} → ${score(s.after)}`).join('; ')} | ${mean(c.before)} → ${mean(c.after)} |${pair ? ` ${diff(c.pairedBefore)} → ${diff(c.pairedAfter)} |` : ''}`),
    '',
  ];
}
