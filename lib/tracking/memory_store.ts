/**
 * In-memory backend: lets tests of training code assert what was tracked without files or a server.
 */
import { randomUUID } from 'node:crypto';
import { ParamConflictError, TrackingError } from './errors';
import { generateRunName } from './system_tags';
import type { CreateRunRequest, KeyValue, LogBatch, MetricPoint, RunInfo, RunStatus, TrackingBackend } from './types';

export interface MemoryRun {
  info: RunInfo;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: MetricPoint[];
  artifacts: Map<string, Uint8Array>;
}

export class MemoryBackend implements TrackingBackend {
  readonly uri = 'memory:';
  readonly experiments = new Map<string, { id: string; tags: Record<string, string> }>();
  readonly runs = new Map<string, MemoryRun>();

  async getOrCreateExperiment(name: string, tags: KeyValue[] = []): Promise<string> {
    let e = this.experiments.get(name);
    if (!e) this.experiments.set(name, (e = { id: String(this.experiments.size + 1), tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) }));
    return e.id;
  }

  async createRun(req: CreateRunRequest): Promise<RunInfo> {
    const runId = randomUUID().replace(/-/g, '');
    const info: RunInfo = { runId, experimentId: req.experimentId, runName: req.runName || generateRunName(), artifactUri: `memory:/${runId}`, status: 'RUNNING', startTime: req.startTime };
    const tags = Object.fromEntries(req.tags.map((t) => [t.key, t.value]));
    tags['mlflow.runName'] ??= info.runName;
    this.runs.set(runId, { info, params: {}, tags, metrics: [], artifacts: new Map() });
    return info;
  }

  async findRunInfo(runId: string): Promise<RunInfo | undefined> {
    return this.runs.get(runId)?.info;
  }

  run(runId: string): MemoryRun {
    const r = this.runs.get(runId);
    if (!r) throw new TrackingError(`no run ${runId} in memory backend`);
    return r;
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const r = this.run(runId);
    for (const p of batch.params ?? []) {
      if (p.key in r.params && r.params[p.key] !== p.value) throw new ParamConflictError(runId, p.key, r.params[p.key], p.value);
      r.params[p.key] = p.value;
    }
    for (const t of batch.tags ?? []) r.tags[t.key] = t.value;
    r.metrics.push(...(batch.metrics ?? []).map((m) => ({ ...m })));
  }

  async updateRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    const r = this.run(runId);
    r.info = { ...r.info, status, endTime };
  }

  async putArtifact(run: RunInfo, artifactPath: string, data: Uint8Array): Promise<void> {
    this.run(run.runId).artifacts.set(artifactPath, new Uint8Array(data));
  }

  /** Metric history of one key, in logging order. */
  history(runId: string, key: string): MetricPoint[] {
    return this.run(runId).metrics.filter((m) => m.key === key);
  }
}
