/**
 * Client-side checks mirroring MLflow's server validation (`validation.py`), so that bad keys or values fail
 * at the call site with a message naming the field, instead of as a 400 halfway through a batch (or silently
 * truncated). Keys become file names in the file store, hence the path rules.
 */
import { TrackingError } from './errors';

export const MLFLOW_LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  runTagValueLength: 8000,
  experimentTagValueLength: 5000,
  experimentNameLength: 500,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchEntities: 1000,
  /** The server rejects bodies over 1 MB; stay well below with our own JSON size estimate. */
  batchBytes: 900_000,
} as const;

// Safe subset of MLflow's `^[/\w.\- ]*$`: works on every server version and file system (no `:`).
const KEY_CHARS = /^[A-Za-z0-9_.\-/ ]+$/;

export type EntityKind = 'metric' | 'param' | 'tag' | 'experiment tag';

export function validateKey(kind: EntityKind, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new TrackingError(`${kind} key must be a non-empty string, got ${JSON.stringify(key)}`);
  if (key.length > MLFLOW_LIMITS.keyLength)
    throw new TrackingError(`${kind} key '${key.slice(0, 40)}…' is ${key.length} characters; MLflow allows at most ${MLFLOW_LIMITS.keyLength}`);
  if (!KEY_CHARS.test(key))
    throw new TrackingError(
      `${kind} key ${JSON.stringify(key)} has characters MLflow may reject; use letters, digits, '_', '-', '.', ' ' and '/'`,
    );
  for (const seg of key.split('/'))
    if (seg === '' || seg === '.' || seg === '..')
      throw new TrackingError(
        `${kind} key ${JSON.stringify(key)} is not a normalized path (no leading/trailing '/', '//', '.' or '..' segments)`,
      );
  return key;
}

export function validateParamValue(key: string, value: string): string {
  if (value.length > MLFLOW_LIMITS.paramValueLength)
    throw new TrackingError(
      `param '${key}' value is ${value.length} characters; MLflow allows at most ${MLFLOW_LIMITS.paramValueLength} (log long values as an artifact)`,
    );
  return value;
}

export function validateTagValue(key: string, value: unknown, limit: number = MLFLOW_LIMITS.runTagValueLength): string {
  if (typeof value !== 'string') throw new TrackingError(`tag '${key}' value must be a string, got ${typeof value}`);
  if (value.length > limit)
    throw new TrackingError(`tag '${key}' value is ${value.length} characters; MLflow allows at most ${limit} (log it as an artifact)`);
  return value;
}

export function validateMetric(key: string, value: unknown, step: unknown, timestamp: unknown): void {
  validateKey('metric', key);
  if (typeof value !== 'number') throw new TrackingError(`metric '${key}' value must be a number, got ${typeof value}`);
  if (typeof step !== 'number' || !Number.isSafeInteger(step))
    throw new TrackingError(`metric '${key}' step must be an integer, got ${String(step)}`);
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new TrackingError(`metric '${key}' timestamp must be a non-negative integer (ms since epoch), got ${String(timestamp)}`);
}

export function validateExperimentName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw new TrackingError(`experiment name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (name.length > MLFLOW_LIMITS.experimentNameLength)
    throw new TrackingError(`experiment name is ${name.length} characters; MLflow allows at most ${MLFLOW_LIMITS.experimentNameLength}`);
  return name;
}

/**
 * A config object as MLflow params: nested objects become dotted keys, arrays and other values are
 * stringified (`{model: {lr: 1e-3, widths: [64, 64]}}` -> `model.lr=0.001`, `model.widths=[64,64]`).
 * `undefined` entries are skipped; `null` is logged as `null`.
 */
export function flattenParams(config: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (value: unknown, key: string, seen: Set<unknown>) => {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
      if (seen.has(value)) throw new TrackingError(`param '${key}' is a circular reference`);
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && key) out[key] = '{}';
      const next = new Set(seen).add(value);
      for (const [k, v] of entries) visit(v, key ? `${key}.${k}` : k, next);
      return;
    }
    if (!key) throw new TrackingError('logParams expects an object of params');
    out[key] = paramToString(value);
  };
  visit(config, prefix, new Set());
  return out;
}

export function paramToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return JSON.stringify(Array.from(value as unknown as ArrayLike<number>));
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** JSON has no NaN/Infinity: MLflow's proto-JSON takes (and returns) them as strings. */
export function encodeDouble(v: number): number | string {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

export function decodeDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'nan') return NaN;
    if (s === 'infinity' || s === 'inf' || s === '+inf' || s === '+infinity') return Infinity;
    if (s === '-infinity' || s === '-inf') return -Infinity;
    const n = Number(v);
    if (!Number.isNaN(n)) return n;
  }
  throw new TrackingError(`expected a double (number or "NaN"/"Infinity"/"-Infinity"), got ${JSON.stringify(v)}`);
}

/** int64 fields come back as numbers or strings depending on the server; accept both. */
export function decodeInt(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new TrackingError(`expected an integer for '${field}', got ${JSON.stringify(v)}`);
}
