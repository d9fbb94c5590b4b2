/**
 * MLflow's file store (`./mlruns`) written from Node, so `MLFLOW_ALLOW_FILE_STORE=true mlflow ui
 * --backend-store-uri ./mlruns` shows the runs and `mlflow migrate-filestore` converts them.
 * Crash safety: meta.yaml, params and tags are replaced atomically; metric files are append-only with one
 * write per flush per key, and the reader ignores a torn last line.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileAtomic } from '../util/atomic_write';
import { ParamConflictError, TrackingError } from './errors';
import { dumpMeta, parseMeta, type Meta } from './meta_yaml';
import type { CreateRunRequest, KeyValue, LogBatch, MetricPoint, RunInfo, RunStatus, TrackingBackend } from './types';
import { validateExperimentName } from './validation';
import { generateRunName } from './system_tags';

export const RUN_STATUS_CODES: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const STATUS_BY_CODE = Object.fromEntries(Object.entries(RUN_STATUS_CODES).map(([k, v]) => [v, k as RunStatus]));
const RESERVED_DIRS = new Set(['.trash', 'models']);
const TMP_FILE = /^\..*\.tmp-\d+-\d+$/;

export interface LocalExperiment {
  experimentId: string;
  name: string;
  lifecycleStage: string;
  artifactLocation: string;
  tags: Record<string, string>;
}

export interface LocalRun {
  info: RunInfo & { lifecycleStage: string; userId: string };
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Full history per key, in file order. */
  metrics: Record<string, MetricPoint[]>;
}

/** `file:` URI or path -> absolute path. */
export function fileStoreRoot(uriOrPath: string): string {
  if (uriOrPath.startsWith('file:')) {
    // `file:./mlruns` / `file:mlruns` are relative paths (as in Python); `file:///abs` absolute.
    if (!uriOrPath.startsWith('file://')) return resolve(uriOrPath.slice('file:'.length));
    return fileURLToPath(uriOrPath);
  }
  return resolve(uriOrPath);
}

export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

export function parseMetricValue(s: string): number {
  const t = s.toLowerCase();
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === 'infinity' || t === '+inf') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(s);
}

export class FileStore implements TrackingBackend {
  readonly root: string;
  readonly uri: string;
  private runDirs = new Map<string, string>();

  constructor(rootOrUri: string) {
    this.root = fileStoreRoot(rootOrUri);
    this.uri = pathToFileURL(this.root).href;
  }

  /** Creates the root with `.trash/` and the Default experiment '0', as MLflow does. */
  ensureRoot(): void {
    mkdirSync(join(this.root, '.trash'), { recursive: true });
    if (!existsSync(join(this.root, '0', 'meta.yaml'))) this.writeExperimentMeta('0', 'Default', Date.now());
  }

  private writeExperimentMeta(id: string, name: string, now: number): void {
    const meta: Meta = {
      artifact_location: pathToFileURL(join(this.root, id)).href,
      creation_time: now,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    };
    writeFileAtomic(join(this.root, id, 'meta.yaml'), dumpMeta(meta));
  }

  listExperiments(): LocalExperiment[] {
    if (!existsSync(this.root)) return [];
    const out: LocalExperiment[] = [];
    for (const d of readdirSync(this.root, { withFileTypes: true })) {
      if (!d.isDirectory() || RESERVED_DIRS.has(d.name)) continue;
      const metaPath = join(this.root, d.name, 'meta.yaml');
      if (!existsSync(metaPath)) continue;
      const meta = parseMeta(readFileSync(metaPath, 'utf8'), metaPath);
      const id = String(meta.experiment_id);
      if (id !== d.name) continue; // MLflow skips these too (with a warning)
      out.push({
        experimentId: id,
        name: String(meta.name),
        lifecycleStage: String(meta.lifecycle_stage ?? 'active'),
        artifactLocation: String(meta.artifact_location ?? ''),
        tags: readKeyValueDir(join(this.root, d.name, 'tags')),
      });
    }
    return out;
  }

  async getOrCreateExperiment(name: string, tags: KeyValue[] = []): Promise<string> {
    validateExperimentName(name);
    this.ensureRoot();
    // Two processes creating the same experiment: serialize through an exclusive lock file.
    return withLock(join(this.root, '.experiments.lock'), () => {
      const found = this.listExperiments().find((e) => e.name === name);
      if (found) {
        if (found.lifecycleStage !== 'active')
          throw new TrackingError(`experiment '${name}' (${found.experimentId}) in ${this.root} is deleted; restore it or use another name`);
        return found.experimentId;
      }
      let id: string;
      do id = (randomBytes(8).readBigUInt64BE() >> 2n).toString(); // like MLflow: a large random integer
      while (existsSync(join(this.root, id)));
      for (const t of tags) writeFileAtomic(join(this.root, id, 'tags', ...t.key.split('/')), t.value);
      this.writeExperimentMeta(id, name, Date.now());
      return id;
    });
  }

  async createRun(req: CreateRunRequest): Promise<RunInfo> {
    const expDir = join(this.root, req.experimentId);
    if (!existsSync(join(expDir, 'meta.yaml'))) throw new TrackingError(`no experiment ${req.experimentId} in ${this.root}`);
    const runId = randomUUID().replace(/-/g, '');
    const runDir = join(expDir, runId);
    const runName = req.runName || req.tags.find((t) => t.key === 'mlflow.runName')?.value || generateRunName();
    const info: RunInfo = {
      runId,
      experimentId: req.experimentId,
      runName,
      artifactUri: pathToFileURL(join(runDir, 'artifacts')).href,
      status: 'RUNNING',
      startTime: req.startTime,
    };
    for (const d of ['metrics', 'params', 'artifacts', 'tags']) mkdirSync(join(runDir, d), { recursive: true });
    const tags = req.tags.some((t) => t.key === 'mlflow.runName') ? req.tags : [...req.tags, { key: 'mlflow.runName', value: runName }];
    for (const t of tags) writeFileAtomic(join(runDir, 'tags', ...t.key.split('/')), t.value);
    // meta.yaml last: a run folder without it is ignored by readers, so a crash here leaves no half run.
    writeFileAtomic(join(runDir, 'meta.yaml'), dumpMeta(this.runMeta(info, userOf(req.tags))));
    this.runDirs.set(runId, runDir);
    return info;
  }

  private runMeta(info: RunInfo, userId: string): Meta {
    return {
      artifact_uri: info.artifactUri,
      end_time: info.endTime ?? null,
      entry_point_name: '',
      experiment_id: info.experimentId,
      lifecycle_stage: 'active',
      run_id: info.runId,
      run_name: info.runName,
      run_uuid: info.runId,
      source_name: '',
      source_type: 4, // LOCAL
      source_version: '',
      start_time: info.startTime,
      status: RUN_STATUS_CODES[info.status],
      tags: [],
      user_id: userId,
    };
  }

  /** The run's folder; finds runs of other processes by scanning experiments. */
  runDir(runId: string): string {
    if (!/^[0-9a-f]{32}$/.test(runId)) throw new TrackingError(`run id ${JSON.stringify(runId)} is not a 32-hex MLflow run id`);
    const cached = this.runDirs.get(runId);
    if (cached) return cached;
    for (const e of this.listExperiments()) {
      const dir = join(this.root, e.experimentId, runId);
      if (existsSync(join(dir, 'meta.yaml'))) {
        this.runDirs.set(runId, dir);
        return dir;
      }
    }
    throw new TrackingError(`run ${runId} not found in ${this.root}`);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const dir = this.runDir(runId);
    for (const p of batch.params ?? []) {
      const file = join(dir, 'params', ...p.key.split('/'));
      if (existsSync(file)) {
        const old = readFileSync(file, 'utf8');
        if (old !== p.value) throw new ParamConflictError(runId, p.key, old, p.value);
        continue;
      }
      writeFileAtomic(file, p.value);
    }
    for (const t of batch.tags ?? []) writeFileAtomic(join(dir, 'tags', ...t.key.split('/')), t.value);
    const byKey = new Map<string, string[]>();
    for (const m of batch.metrics ?? []) {
      let lines = byKey.get(m.key);
      if (!lines) byKey.set(m.key, (lines = []));
      lines.push(`${m.timestamp} ${formatMetricValue(m.value)} ${m.step}\n`);
    }
    for (const [key, lines] of byKey) {
      const parts = key.split('/');
      mkdirSync(join(dir, 'metrics', ...parts.slice(0, -1)), { recursive: true });
      appendFileSync(join(dir, 'metrics', ...parts), lines.join(''));
    }
  }

  async updateRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    const dir = this.runDir(runId);
    const meta = parseMeta(readFileSync(join(dir, 'meta.yaml'), 'utf8'), join(dir, 'meta.yaml'));
    meta.status = RUN_STATUS_CODES[status];
    meta.end_time = status === 'RUNNING' || status === 'SCHEDULED' ? null : endTime;
    writeFileAtomic(join(dir, 'meta.yaml'), dumpMeta(meta));
  }

  async putArtifact(run: RunInfo, artifactPath: string, data: Uint8Array): Promise<void> {
    writeFileAtomic(join(this.artifactDir(run.runId), ...artifactPath.split('/')), data);
  }

  artifactDir(runId: string): string {
    const dir = this.runDir(runId);
    const meta = parseMeta(readFileSync(join(dir, 'meta.yaml'), 'utf8'));
    const uri = String(meta.artifact_uri ?? '');
    // Folder moved (absolute URIs break then) or a non-file URI: use the run's own artifacts folder.
    if (uri.startsWith('file:')) {
      const p = fileURLToPath(uri);
      if (existsSync(p) || p.startsWith(this.root + sep)) return p;
    } else if (isAbsolute(uri) && existsSync(uri)) return uri;
    return join(dir, 'artifacts');
  }

  listRuns(experimentId: string): LocalRun['info'][] {
    const expDir = join(this.root, experimentId);
    const out: LocalRun['info'][] = [];
    for (const d of readdirSync(expDir, { withFileTypes: true })) {
      if (!d.isDirectory() || !/^[0-9a-f]{32}$/.test(d.name)) continue;
      const metaPath = join(expDir, d.name, 'meta.yaml');
      if (!existsSync(metaPath)) continue;
      const info = this.readInfo(metaPath);
      if (info.runId !== d.name) continue;
      this.runDirs.set(info.runId, join(expDir, d.name));
      out.push(info);
    }
    return out.sort((a, b) => a.startTime - b.startTime);
  }

  private readInfo(metaPath: string): LocalRun['info'] {
    const m = parseMeta(readFileSync(metaPath, 'utf8'), metaPath);
    const status = typeof m.status === 'number' ? STATUS_BY_CODE[m.status] : typeof m.status === 'string' ? (m.status as RunStatus) : 'RUNNING';
    return {
      runId: String(m.run_id ?? m.run_uuid),
      experimentId: String(m.experiment_id),
      runName: m.run_name == null ? '' : String(m.run_name),
      artifactUri: String(m.artifact_uri ?? ''),
      status: status ?? 'RUNNING',
      startTime: Number(m.start_time ?? 0),
      endTime: m.end_time == null ? undefined : Number(m.end_time),
      lifecycleStage: String(m.lifecycle_stage ?? 'active'),
      userId: m.user_id == null ? '' : String(m.user_id),
    };
  }

  async findRunInfo(runId: string): Promise<RunInfo | undefined> {
    let dir: string;
    try {
      dir = this.runDir(runId);
    } catch {
      return undefined;
    }
    return this.readInfo(join(dir, 'meta.yaml'));
  }

  readRun(runId: string): LocalRun {
    const dir = this.runDir(runId);
    const info = this.readInfo(join(dir, 'meta.yaml'));
    const metrics: Record<string, MetricPoint[]> = {};
    for (const [key, text] of Object.entries(readKeyValueDir(join(dir, 'metrics')))) {
      const points: MetricPoint[] = [];
      const lines = text.split('\n');
      lines.pop(); // the part after the last '\n': empty, or a torn line from a crash
      for (const line of lines) {
        const f = line.trim().split(/\s+/);
        if (f.length < 2) continue;
        points.push({ key, timestamp: Number(f[0]), value: parseMetricValue(f[1]), step: f.length > 2 ? Number(f[2]) : 0 });
      }
      metrics[key] = points;
    }
    return { info, params: readKeyValueDir(join(dir, 'params')), tags: readKeyValueDir(join(dir, 'tags')), metrics };
  }

  /** Artifact files of a run, as `/`-separated paths relative to its artifact root. */
  listArtifactFiles(runId: string): string[] {
    const root = this.artifactDir(runId);
    if (!existsSync(root)) return [];
    return walkFiles(root).filter((p) => !TMP_FILE.test(p.split('/').pop()!));
  }
}

function userOf(tags: KeyValue[]): string {
  return tags.find((t) => t.key === 'mlflow.user')?.value ?? 'unknown';
}

function walkFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...walkFiles(root, rel));
    else if (d.isFile()) out.push(rel);
  }
  return out.sort();
}

/** A folder of one-file-per-key entries (params/tags/metrics); `/` in keys are sub-folders. */
function readKeyValueDir(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const rel of walkFiles(dir)) {
    if (TMP_FILE.test(rel.split('/').pop()!)) continue;
    out[rel] = readFileSync(join(dir, ...rel.split('/')), 'utf8');
  }
  return out;
}

function withLock<T>(lockPath: string, fn: () => T): T {
  mkdirSync(join(lockPath, '..'), { recursive: true });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than 10 s belongs to a crashed process.
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > 10_000) rmSync(lockPath, { force: true });
      } catch {
        /* removed meanwhile */
      }
      if (Date.now() > deadline) throw new TrackingError(`timed out waiting for lock ${lockPath}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
