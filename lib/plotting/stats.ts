/** Aggregation of seeded repeats into the mean and spread that the error-band charts draw. */
import { tQuantile975 } from '../metrics/stats';

/** One measurement of a label-count sweep: `method` at `numLabels` labelled examples, one seeded draw. */
export interface LabelSweepRecord {
  method: string;
  numLabels: number;
  miou: number;
  seed?: number;
}

/** How the band around the mean is drawn: ± one (sample) standard deviation, ± the 95% CI of the mean (t), or min…max. */
export type SpreadKind = 'std' | 'ci95' | 'minmax';

export interface SeedSummary {
  method: string;
  numLabels: number;
  /** Number of seeded draws at this point. */
  n: number;
  mean: number;
  /** Sample standard deviation (n-1 denominator); 0 for a single draw. */
  std: number;
  /** Half-width of the 95% confidence interval of the mean (Student's t); 0 for a single draw. */
  ci95: number;
  min: number;
  max: number;
  /** Lower and upper edge of the band (per `SpreadKind`). */
  lo: number;
  hi: number;
}

/**
 * Groups records by (method, numLabels) and returns one summary per group, methods in order of
 * first appearance and numLabels ascending.
 */
export function summarizeSeeds(records: readonly LabelSweepRecord[], spread: SpreadKind = 'std'): SeedSummary[] {
  if (spread !== 'std' && spread !== 'ci95' && spread !== 'minmax') {
    throw new Error(`summarizeSeeds: spread must be 'std', 'ci95' or 'minmax', got '${String(spread)}'`);
  }
  const groups = new Map<string, Map<number, number[]>>();
  records.forEach((r, i) => {
    if (typeof r.method !== 'string' || r.method === '') {
      throw new Error(`summarizeSeeds: records[${i}].method must be a non-empty string`);
    }
    for (const f of ['numLabels', 'miou'] as const) {
      if (typeof r[f] !== 'number' || !Number.isFinite(r[f])) {
        throw new Error(`summarizeSeeds: records[${i}].${f} must be a finite number, got ${String(r[f])}`);
      }
    }
    let byN = groups.get(r.method);
    if (!byN) groups.set(r.method, (byN = new Map()));
    const vals = byN.get(r.numLabels) ?? [];
    vals.push(r.miou);
    byN.set(r.numLabels, vals);
  });
  const out: SeedSummary[] = [];
  for (const [method, byN] of groups) {
    for (const numLabels of [...byN.keys()].sort((a, b) => a - b)) {
      const v = byN.get(numLabels)!;
      const n = v.length;
      const mean = v.reduce((s, x) => s + x, 0) / n;
      const std = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
      const min = Math.min(...v);
      const max = Math.max(...v);
      const ci95 = n > 1 ? (tQuantile975(n - 1) * std) / Math.sqrt(n) : 0;
      const [lo, hi] = spread === 'std' ? [mean - std, mean + std] : spread === 'ci95' ? [mean - ci95, mean + ci95] : [min, max];
      out.push({ method, numLabels, n, mean, std, ci95, min, max, lo, hi });
    }
  }
  return out;
}
