/**
 * MLflow tracking server backend over REST (`/api/2.0/mlflow/…`) plus the artifact proxy
 * (`/api/2.0/mlflow-artifacts/artifacts/…`). Also the read calls that sync and the tests need.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic_write';
import { MlflowApiError, ParamConflictError, TrackingError } from './errors';
import { RestClient, apiError, type RestClientOptions } from './http_client';
import { splitBatch, metricToJson, type BatchLimits, DEFAULT_BATCH_LIMITS } from './batching';
import type { CreateRunRequest, KeyValue, LogBatch, MetricPoint, RunInfo, RunStatus, TrackingBackend } from './types';
import { decodeDouble, decodeInt, validateExperimentName } from './validation';

export interface RemoteExperiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  tags: Record<string, string>;
}
export interface RemoteRun {
  info: RunInfo & { lifecycleStage: string };
  /** Latest value per key (as `runs/get` returns them). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

type Json = Record<string, unknown>;

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json', txt: 'text/plain', log: 'text/plain', md: 'text/markdown', csv: 'text/csv', yaml: 'application/x-yaml',
  yml: 'application/x-yaml', html: 'text/html', htm: 'text/html', svg: 'image/svg+xml', png: 'image/png', jpg: 'image/jpeg',
  jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf', mp4: 'video/mp4', webm: 'video/webm',
};
export function contentTypeFor(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/** Percent-encode each segment: the server URL-decodes paths, so `%`, `#`, `?`, spaces survive (#12151, #21269). */
export function encodeArtifactPath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

const kvList = (list: unknown): Record<string, string> =>
  Object.fromEntries(((list as KeyValue[] | undefined) ?? []).map((t) => [t.key, t.value]));

/** The SQL stores clamp ±Infinity to ±Number.MAX_VALUE; read them back as infinities. */
export function decodeStoredDouble(v: unknown): number {
  const d = decodeDouble(v);
  if (d === Number.MAX_VALUE) return Infinity;
  if (d === -Number.MAX_VALUE) return -Infinity;
  return d;
}

function runFromJson(run: Json): RemoteRun {
  const info = run.info as Json;
  const data = (run.data as Json | undefined) ?? {};
  return {
    info: {
      runId: String(info.run_id ?? info.run_uuid),
      experimentId: String(info.experiment_id),
      runName: String(info.run_name ?? ''),
      artifactUri: String(info.artifact_uri ?? ''),
      status: String(info.status ?? 'RUNNING') as RunStatus,
      startTime: info.start_time === undefined ? 0 : decodeInt(info.start_time, 'start_time'),
      endTime: info.end_time === undefined || info.end_time === null ? undefined : decodeInt(info.end_time, 'end_time'),
      lifecycleStage: String(info.lifecycle_stage ?? 'active'),
    },
    metrics: Object.fromEntries(((data.metrics as Json[] | undefined) ?? []).map((m) => [String(m.key), decodeStoredDouble(m.value)])),
    params: kvList(data.params),
    tags: kvList(data.tags),
  };
}

function experimentFromJson(e: Json): RemoteExperiment {
  return {
    experimentId: String(e.experiment_id),
    name: String(e.name),
    artifactLocation: String(e.artifact_location ?? ''),
    lifecycleStage: String(e.lifecycle_stage ?? 'active'),
    tags: kvList(e.tags),
  };
}

export interface RestBackendOptions extends RestClientOptions {
  batchLimits?: Partial<BatchLimits>;
}

export class RestBackend implements TrackingBackend {
  readonly client: RestClient;
  readonly uri: string;
  private readonly limits: BatchLimits;
  private experimentIds = new Map<string, string>();

  constructor(opts: RestBackendOptions) {
    this.client = new RestClient(opts);
    this.uri = opts.uri;
    this.limits = { ...DEFAULT_BATCH_LIMITS, ...opts.batchLimits };
  }

  async getExperimentByName(name: string): Promise<RemoteExperiment | undefined> {
    try {
      const r = await this.client.api<{ experiment: Json }>('GET', 'experiments/get-by-name', { experiment_name: name });
      return experimentFromJson(r.experiment);
    } catch (e) {
      if (e instanceof MlflowApiError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    }
  }

  async getOrCreateExperiment(name: string, tags: KeyValue[] = []): Promise<string> {
    validateExperimentName(name);
    const cached = this.experimentIds.get(name);
    if (cached) return cached;
    let exp = await this.getExperimentByName(name);
    if (!exp) {
      try {
        const r = await this.client.api<{ experiment_id: string }>('POST', 'experiments/create', { name, tags });
        this.experimentIds.set(name, String(r.experiment_id));
        return String(r.experiment_id);
      } catch (e) {
        // Another process created it between our GET and POST.
        if (!(e instanceof MlflowApiError && e.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw e;
        exp = await this.getExperimentByName(name);
        if (!exp) throw e;
      }
    }
    if (exp.lifecycleStage !== 'active')
      throw new TrackingError(`experiment '${name}' (${exp.experimentId}) on ${this.uri} is deleted; restore it in the MLflow UI or use another name`);
    this.experimentIds.set(name, exp.experimentId);
    return exp.experimentId;
  }

  async createRun(req: CreateRunRequest): Promise<RunInfo> {
    const r = await this.client.api<{ run: Json }>('POST', 'runs/create', {
      experiment_id: req.experimentId,
      run_name: req.runName || undefined,
      start_time: req.startTime,
      tags: req.tags,
    });
    return runFromJson(r.run).info;
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    for (const chunk of splitBatch(batch, this.limits)) {
      try {
        await this.client.api('POST', 'runs/log-batch', {
          run_id: runId,
          metrics: chunk.metrics.map(metricToJson),
          params: chunk.params,
          tags: chunk.tags,
        });
      } catch (e) {
        throw paramConflictFrom(e, runId) ?? e;
      }
    }
  }

  async updateRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    await this.client.api('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
  }

  async getRun(runId: string): Promise<RemoteRun> {
    const r = await this.client.api<{ run: Json }>('GET', 'runs/get', { run_id: runId });
    return runFromJson(r.run);
  }

  /** undefined when the run does not exist on this server. */
  async findRun(runId: string): Promise<RemoteRun | undefined> {
    try {
      return await this.getRun(runId);
    } catch (e) {
      if (e instanceof MlflowApiError && (e.errorCode === 'RESOURCE_DOES_NOT_EXIST' || e.httpStatus === 404)) return undefined;
      throw e;
    }
  }

  async findRunInfo(runId: string): Promise<RunInfo | undefined> {
    return (await this.findRun(runId))?.info;
  }

  async searchRuns(experimentIds: string[], filter = '', orderBy: string[] = []): Promise<RemoteRun[]> {
    const out: RemoteRun[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.client.api<{ runs?: Json[]; next_page_token?: string }>('POST', 'runs/search', {
        experiment_ids: experimentIds,
        filter,
        run_view_type: 'ACTIVE_ONLY',
        max_results: 1000,
        order_by: orderBy,
        page_token: pageToken,
      });
      out.push(...(r.runs ?? []).map(runFromJson));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.client.api<{ metrics?: Json[]; next_page_token?: string }>('GET', 'metrics/get-history', {
        run_id: runId,
        metric_key: key,
        page_token: pageToken,
      });
      for (const m of r.metrics ?? [])
        out.push({
          key,
          value: decodeStoredDouble(m.value),
          timestamp: decodeInt(m.timestamp, 'timestamp'),
          step: m.step === undefined ? 0 : decodeInt(m.step, 'step'),
        });
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  /** Proxy path (`<exp>/<run>/artifacts`) and the URL origin for a run's `mlflow-artifacts:` URI. */
  private proxyLocation(artifactUri: string): { base: URL; path: string } | undefined {
    if (!artifactUri.startsWith('mlflow-artifacts:')) return undefined;
    const rest = artifactUri.slice('mlflow-artifacts:'.length);
    const base = new URL(this.client.baseUrl.href);
    let path = rest;
    if (rest.startsWith('//')) {
      // mlflow-artifacts://host:port/path -> that host, our scheme
      const u = new URL(`${this.client.baseUrl.protocol}${rest}`);
      base.host = u.host;
      path = u.pathname;
    }
    return { base, path: path.replace(/^\/+/, '').replace(/\/+$/, '') };
  }

  private artifactUrl(run: RunInfo, artifactPath: string): URL | undefined {
    const loc = this.proxyLocation(run.artifactUri);
    if (!loc) return undefined;
    const full = [loc.path, artifactPath].filter(Boolean).join('/');
    return new URL(`api/2.0/mlflow-artifacts/artifacts/${encodeArtifactPath(full)}`, loc.base);
  }

  async putArtifact(run: RunInfo, artifactPath: string, data: Uint8Array): Promise<void> {
    const url = this.artifactUrl(run, artifactPath);
    if (url) {
      const res = await this.client.request('PUT', url.href, { body: data, contentType: contentTypeFor(artifactPath) });
      if (res.status < 200 || res.status >= 300) throw apiError(res, `PUT artifact ${artifactPath}`);
      return;
    }
    // --no-serve-artifacts with a server-local root: only works when that folder is on this machine.
    const root = localArtifactRoot(run.artifactUri);
    if (root && existsSync(dirname(dirname(root)))) {
      writeFileAtomic(join(root, ...artifactPath.split('/')), data);
      return;
    }
    throw new TrackingError(
      `cannot upload artifact '${artifactPath}' of run ${run.runId}: its artifact URI ${run.artifactUri} is not served over HTTP ` +
        `(start the server with --serve-artifacts, the default, and without a non-proxied --default-artifact-root)`,
    );
  }

  async getArtifact(run: RunInfo, artifactPath: string): Promise<Buffer> {
    const url = this.artifactUrl(run, artifactPath);
    if (!url) throw new TrackingError(`run ${run.runId}: artifact URI ${run.artifactUri} is not served over HTTP`);
    const res = await this.client.request('GET', url.href);
    if (res.status !== 200) throw apiError(res, `GET artifact ${artifactPath}`);
    return res.body;
  }

  /** All files under `path` (recursive), paths relative to the run's artifact root. */
  async listArtifacts(runId: string, path = ''): Promise<ArtifactEntry[]> {
    const r = await this.client.api<{ files?: Json[] }>('GET', 'artifacts/list', { run_id: runId, path: path || undefined });
    const out: ArtifactEntry[] = [];
    for (const f of r.files ?? []) {
      const entry: ArtifactEntry = { path: String(f.path), isDir: Boolean(f.is_dir), fileSize: f.file_size === undefined ? undefined : Number(f.file_size) };
      if (entry.isDir) out.push(...(await this.listArtifacts(runId, entry.path)));
      else out.push(entry);
    }
    return out;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function localArtifactRoot(uri: string): string | undefined {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  if (isAbsolute(uri)) return uri;
  return undefined;
}

/** The server's "Changing param values is not allowed" as our `ParamConflictError`. */
function paramConflictFrom(e: unknown, runId: string): ParamConflictError | undefined {
  if (!(e instanceof MlflowApiError) || e.errorCode !== 'INVALID_PARAMETER_VALUE' || !/Changing param values is not allowed/.test(e.message)) return undefined;
  const m = /'key': '([^']*)', 'old_value': '([^']*)', 'new_value': '([^']*)'/.exec(e.message);
  if (m) return new ParamConflictError(runId, m[1], m[2], m[3]);
  const err = new ParamConflictError(runId, '?', undefined, '?');
  err.message = `${e.message} (MLflow params are immutable: start a new or child run per configuration)`;
  return err;
}
