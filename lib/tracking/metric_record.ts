/** A training loop's per-step record as tracker metrics: finite numeric fields only, keys prefixed. */
export function numericMetrics(rec: object, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec)) if (typeof v === 'number' && Number.isFinite(v)) out[prefix + k] = v;
  return out;
}
