/**
 * Splits a batch into `runs/log-batch` requests within MLflow's limits (entity counts and body size).
 * Params and tags go in the first chunks so a run's config lands before its long metric history.
 */
import { MLFLOW_LIMITS, encodeDouble } from './validation';
import type { KeyValue, LogBatch, MetricPoint } from './types';

export interface BatchLimits {
  metrics: number;
  params: number;
  tags: number;
  entities: number;
  bytes: number;
}
export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  metrics: MLFLOW_LIMITS.batchMetrics,
  params: MLFLOW_LIMITS.batchParams,
  tags: MLFLOW_LIMITS.batchTags,
  entities: MLFLOW_LIMITS.batchEntities,
  bytes: MLFLOW_LIMITS.batchBytes,
};

/** Wire form of one metric (proto JSON). */
export function metricToJson(m: MetricPoint): { key: string; value: number | string; timestamp: number; step: number } {
  return { key: m.key, value: encodeDouble(m.value), timestamp: m.timestamp, step: m.step };
}

const jsonSize = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8') + 1; // + comma

export function splitBatch(batch: LogBatch, limits: BatchLimits = DEFAULT_BATCH_LIMITS): Required<LogBatch>[] {
  const chunks: Required<LogBatch>[] = [];
  let cur: Required<LogBatch> = { metrics: [], params: [], tags: [] };
  let bytes = 100; // envelope: run_id and field names
  const push = () => {
    if (cur.metrics.length + cur.params.length + cur.tags.length > 0) chunks.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = 100;
  };
  const add = (kind: 'metrics' | 'params' | 'tags', entity: MetricPoint | KeyValue, size: number) => {
    const entities = cur.metrics.length + cur.params.length + cur.tags.length;
    if (cur[kind].length >= limits[kind] || entities >= limits.entities || (entities > 0 && bytes + size > limits.bytes)) push();
    (cur[kind] as (MetricPoint | KeyValue)[]).push(entity);
    bytes += size;
  };
  for (const p of batch.params ?? []) add('params', p, jsonSize(p));
  for (const t of batch.tags ?? []) add('tags', t, jsonSize(t));
  for (const m of batch.metrics ?? []) add('metrics', m, jsonSize(metricToJson(m)));
  push();
  return chunks;
}
