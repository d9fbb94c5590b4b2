/**
 * Mean and 95% confidence interval over replicate seeds (Student's t, two-sided), the way the results
 * tables report every number measured with more than one seed.
 */

// t_{0.975, df} for df = 1..30 (standard tables); above 30 the normal 1.96 is within 2%.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093,
  2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The two-sided 97.5% quantile of Student's t with `df` degrees of freedom (df ≥ 1). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`tQuantile975: expected an integer df ≥ 1, got ${df}`);
  return df <= T975.length ? T975[df - 1] : 1.96;
}

export interface MeanCI {
  /** Replicates (finite values) the summary is over. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for one replicate. */
  std: number | null;
  /** Half-width of the 95% confidence interval of the mean; null for one replicate (no interval). */
  ci95: number | null;
  /** The replicate values, in input order. */
  values: number[];
}

/** Mean ± 95% CI of finite `values` (non-finite ones are dropped); throws when none is finite. */
export function meanCI(values: readonly number[]): MeanCI {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) throw new Error(`meanCI: no finite value among ${values.length}`);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: null, ci95: null, values: xs };
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { n, mean, std, ci95: (tQuantile975(n - 1) * std) / Math.sqrt(n), values: xs };
}

/**
 * Mean ± 95% CI of a − b over the keys (seeds) where both are finite: the paired comparison of two methods measured
 * on the same replicates (the same labelled draw per seed), which removes the spread the draw puts into both. Null
 * when no key is shared.
 */
export function pairedDifferenceCI<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): { keys: K[]; diff: MeanCI } | null {
  const keys = [...a.keys()].filter((k) => Number.isFinite(a.get(k)) && Number.isFinite(b.get(k)));
  return keys.length ? { keys, diff: meanCI(keys.map((k) => a.get(k)! - b.get(k)!)) } : null;
}

/** One replicate's scores, as fractions. */
export interface ScorePair {
  mIOU: number;
  shapeMIOU: number;
}

/**
 * a − b of mIOU and of shape-mIOU over the keys both have (pairedDifferenceCI of each), in points; null when no key
 * is shared. What the sweep (by seed), Table 1 (by seed) and the mask heads (by object) report.
 */
export function pairedScoreDifference<K>(a: ReadonlyMap<K, ScorePair>, b: ReadonlyMap<K, ScorePair>): { keys: K[]; mIOU: PercentCI; shapeMIOU: PercentCI | null } | null {
  const pick = (m: ReadonlyMap<K, ScorePair>, key: keyof ScorePair) => new Map([...m].map(([k, s]) => [k, s[key]]));
  const m = pairedDifferenceCI(pick(a, 'mIOU'), pick(b, 'mIOU'));
  if (!m) return null;
  const sm = pairedDifferenceCI(pick(a, 'shapeMIOU'), pick(b, 'shapeMIOU'));
  return { keys: m.keys, mIOU: inPercent(m.diff), shapeMIOU: sm && inPercent(sm.diff) };
}

/** A difference in points with its sign and interval: "+10.5 ± 11.9", "−1.2" (one replicate). */
export function signedCI(d: PercentCI): string {
  const m = `${d.mean < 0 ? '−' : '+'}${Math.abs(d.mean).toFixed(1)}`;
  return d.ci95 === null ? m : `${m} ± ${d.ci95.toFixed(1)}`;
}

/** Whether a difference's 95% interval leaves out 0 (never for one replicate, which has no interval). */
export const excludesZero = (d: PercentCI): boolean => d.ci95 !== null && Math.abs(d.mean) > d.ci95;

/** "48.7 ± 2.1" (in the units given, `digits` decimals); one replicate prints the value alone. */
export function formatMeanCI(s: Pick<MeanCI, 'mean' | 'ci95'>, digits = 1): string {
  return s.ci95 === null ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.ci95.toFixed(digits)}`;
}

/** Mean ± 95% CI in percent, as the published tables give them. */
export interface PercentCI {
  mean: number;
  ci95: number | null;
  n: number;
}

/** `meanCI` of fractions (IoUs in [0, 1]) in percent; throws when none is finite. */
export function percentCI(fractions: readonly number[]): PercentCI {
  return inPercent(meanCI(fractions));
}

/** A mean ± CI of fractions (or of their differences) in percent (points). */
export function inPercent(s: MeanCI): PercentCI {
  return { mean: 100 * s.mean, ci95: s.ci95 === null ? null : 100 * s.ci95, n: s.n };
}

/** A fraction as a percentage to one decimal (0.6769 → 67.7), null for a missing or non-finite one. */
export function pct1(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(1000 * v) / 10 : null;
}

/** The median of `values` (the mean of the middle two for an even count); throws when there is none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
