/**
 * `MlflowTracker`: runs on any `TrackingBackend`, with buffered metrics, client-side validation and —
 * for a server backend — spilling to a local file store when the server becomes unreachable, so no data is
 * lost (`semantic-srn mlflow sync` replays the spilled part later).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TrackingConnectionError, TrackingError, ParamConflictError } from './errors';
import type { FileStore } from './file_store';
import { FAILURE_TAG, RESUMED_TAG, holderState, readLease, removeLease, writeLease } from './lifecycle';
import { trackOpenRun, untrackOpenRun } from './signals';
import { EXPERIMENT_KIND, MLFLOW_TAG, generateRunName, systemTags, type SystemTagOptions } from './system_tags';
import type { KeyValue, LogBatch, MetricPoint, RunHandle, RunInfo, RunStatus, StartRunOptions, StepLogger, Tracker, TrackingBackend } from './types';
import { flattenParams, validateKey, validateMetric, validateParamValue, validateTagValue } from './validation';

export interface TrackerOptions {
  backend: TrackingBackend;
  /** Default experiment for `startRun` (default `semantic-srn`). */
  experimentName?: string;
  /** Where a server backend spills when unreachable (usually `./mlruns`); `undefined` = no spilling. */
  spillStore?: FileStore;
  /** Options for the `mlflow.*` system tags, or `false` to add none. */
  systemTags?: SystemTagOptions | false;
  /** Send buffered metrics at least this often (default 2000 ms). */
  flushIntervalMs?: number;
  /** Send when this many metric points are buffered (default 1000, one log-batch). */
  flushEvery?: number;
  /** End open runs as KILLED on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Warnings (spilling, …); default `console.warn`. */
  warn?: (message: string) => void;
}

export const DEFAULT_EXPERIMENT = 'semantic-srn';
const EXPERIMENT_TAGS: KeyValue[] = [{ key: MLFLOW_TAG.experimentKind, value: EXPERIMENT_KIND }];

function normalizeArtifactPath(path: string, what: string): string {
  const segs = path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  if (segs.some((s) => s === '..' || s.includes('\0')))
    throw new TrackingError(`${what} ${JSON.stringify(path)} must stay inside the run's artifact folder (no '..')`);
  return segs.join('/');
}

export class MlflowTracker implements Tracker {
  readonly backend: TrackingBackend;
  readonly experimentName: string;
  readonly spillStore?: FileStore;
  readonly flushIntervalMs: number;
  readonly flushEvery: number;
  readonly handleSignals: boolean;
  readonly warn: (message: string) => void;
  private readonly sysTags: Record<string, string>;
  private readonly open = new Set<TrackedRun>();

  constructor(opts: TrackerOptions) {
    this.backend = opts.backend;
    this.experimentName = opts.experimentName ?? DEFAULT_EXPERIMENT;
    this.spillStore = opts.spillStore;
    this.flushIntervalMs = opts.flushIntervalMs ?? 2000;
    this.flushEvery = opts.flushEvery ?? 1000;
    this.handleSignals = opts.handleSignals ?? true;
    this.warn = opts.warn ?? ((m) => console.warn(m));
    this.sysTags = opts.systemTags === false ? {} : systemTags(opts.systemTags);
  }

  get uri(): string {
    return this.backend.uri;
  }

  async startRun(opts: StartRunOptions = {}): Promise<RunHandle> {
    const experiment = opts.experiment ?? this.experimentName;
    const parent = typeof opts.parent === 'string' ? opts.parent : opts.parent?.runId;
    const tags: Record<string, string> = { ...this.sysTags, ...opts.tags };
    if (opts.name) tags[MLFLOW_TAG.runName] = opts.name;
    if (parent) tags[MLFLOW_TAG.parentRunId] = parent;
    if (opts.description) tags[MLFLOW_TAG.note] = opts.description;
    const tagList = Object.entries(tags).map(([key, value]) => ({ key: validateKey('tag', key), value: validateTagValue(key, value) }));
    const startTime = Date.now();
    const parentIsLocalOnly = opts.parent instanceof TrackedRun && opts.parent.localOnly;

    const continued = opts.lease ? await this.settleLease(opts.lease, experiment, tagList) : undefined;
    let run: TrackedRun;
    if (continued) {
      run = continued;
    } else {
      try {
        if (parentIsLocalOnly) throw new TrackingConnectionError('parent run exists only in the local store');
        const experimentId = await this.backend.getOrCreateExperiment(experiment, EXPERIMENT_TAGS);
        const info = await this.backend.createRun({ experimentId, runName: opts.name ?? '', startTime, tags: tagList });
        run = new TrackedRun(this, experiment, info, tagList);
      } catch (e) {
        if (!(e instanceof TrackingConnectionError) || !this.spillStore) throw e;
        // Server down at start: the whole run lives in the local store until synced.
        const name = opts.name ?? generateRunName();
        const local = await this.createLocalRun(experiment, name, startTime, [...tagList.filter((t) => t.key !== MLFLOW_TAG.runName), { key: MLFLOW_TAG.spillTrackingUri, value: this.backend.uri }]);
        if (!parentIsLocalOnly)
          this.warn(`semantic-srn tracking: ${e.message}; run '${name}' is written to ${this.spillStore.root} instead (sync it later: semantic-srn mlflow sync ${this.spillStore.root} --to ${this.backend.uri})`);
        run = new TrackedRun(this, experiment, local, tagList, true);
      }
    }
    this.open.add(run);
    trackOpenRun(run, this.handleSignals);
    if (opts.lease) {
      writeLease(opts.lease.file, { uri: this.backend.uri, runId: run.runId, local: run.localOnly });
      run.leaseFile = opts.lease.file;
    }
    if (opts.params) {
      try {
        await run.logParams(opts.params);
      } catch (e) {
        if (!(continued && e instanceof ParamConflictError)) throw e;
        // The config changed since the dead run: it is not the same run any more; end it and start afresh.
        await run.setTag(FAILURE_TAG, `superseded: restarted with another config (${e.message})`);
        await run.end('FAILED');
        return this.startRun({ ...opts, lease: { ...opts.lease!, resume: false } });
      }
    }
    return run;
  }

  /**
   * A lease left by a process that died with its run open: continue that run (`resume`) or mark it FAILED.
   * Returns the continued run, or undefined (no lease, run already ended or gone, or tracker unreachable).
   */
  private async settleLease(lease: { file: string; resume?: boolean }, experiment: string, tags: KeyValue[]): Promise<TrackedRun | undefined> {
    const prior = readLease(lease.file);
    // A live owner (another process running the same command, or this one) still holds its run; one on another
    // machine cannot be checked from here, so its run is left alone too.
    if (!prior || holderState(prior) !== 'gone') return undefined;
    const backend = prior.local ? this.spillStore : prior.uri === this.backend.uri ? this.backend : undefined;
    if (!backend?.findRunInfo) return undefined;
    try {
      const info = await backend.findRunInfo(prior.runId);
      if (!info || info.status !== 'RUNNING') return undefined;
      if (lease.resume) {
        await backend.logBatch(info.runId, { tags: [{ key: RESUMED_TAG, value: new Date().toISOString() }] });
        this.warn(`semantic-srn tracking: continuing run ${info.runId}, left RUNNING by process ${prior.pid} that did not end it (killed?)`);
        return new TrackedRun(this, experiment, { ...info, status: 'RUNNING' }, tags, prior.local);
      }
      await backend.logBatch(info.runId, { tags: [{ key: FAILURE_TAG, value: `process ${prior.pid} died without ending the run (killed?); found at the next start` }] });
      await backend.updateRun(info.runId, 'FAILED', Date.now());
      this.warn(`semantic-srn tracking: run ${info.runId}, left RUNNING by process ${prior.pid} that did not end it (killed?), is now marked FAILED`);
    } catch (e) {
      if (!(e instanceof TrackingConnectionError)) throw e;
      this.warn(`semantic-srn tracking: could not settle run ${prior.runId} left open by process ${prior.pid}: ${e.message}`);
    }
    return undefined;
  }

  /** @internal a run in the spill store (same experiment name), for a server run or a whole local one. */
  async createLocalRun(experiment: string, runName: string, startTime: number, tags: KeyValue[]): Promise<RunInfo> {
    const store = this.spillStore!;
    const experimentId = await store.getOrCreateExperiment(experiment, EXPERIMENT_TAGS);
    return store.createRun({ experimentId, runName, startTime, tags });
  }

  async withRun<T>(opts: StartRunOptions, fn: (run: RunHandle) => Promise<T> | T): Promise<T> {
    const run = await this.startRun(opts);
    let result: T;
    try {
      result = await fn(run);
    } catch (e) {
      try {
        await run.setTag(FAILURE_TAG, ((e as Error)?.message ?? String(e)).slice(0, 4000));
        await run.end('FAILED');
      } catch (endError) {
        this.warn(`semantic-srn tracking: could not mark run ${run.runId} FAILED: ${(endError as Error).message}`);
      }
      throw e;
    }
    await run.end('FINISHED');
    return result;
  }

  openRuns(): RunHandle[] {
    return [...this.open];
  }

  /** @internal */
  forget(run: TrackedRun): void {
    this.open.delete(run);
    untrackOpenRun(run);
  }

  async close(status: RunStatus = 'KILLED'): Promise<void> {
    await Promise.allSettled([...this.open].map((r) => r.end(status)));
    await this.backend.close?.();
  }
}

class TrackedRun implements RunHandle {
  private buffer: MetricPoint[] = [];
  private readonly params = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private deliveryError: Error | undefined;
  private spillInfo: RunInfo | undefined;
  private ended = false;
  private _status: RunStatus = 'RUNNING';
  /** @internal the lease file removed once the run has ended. */
  leaseFile: string | undefined;

  constructor(
    private readonly tracker: MlflowTracker,
    private readonly experiment: string,
    private readonly info: RunInfo,
    private readonly startTags: KeyValue[],
    /** Created in the spill store because the server was down at start. */
    readonly localOnly = false,
  ) {}

  get runId(): string {
    return this.info.runId;
  }
  get experimentId(): string {
    return this.info.experimentId;
  }
  get name(): string {
    return this.info.runName;
  }
  get status(): RunStatus {
    return this._status;
  }
  get spilled(): boolean {
    return this.localOnly || this.spillInfo !== undefined;
  }

  private backendFor(): { backend: TrackingBackend; info: RunInfo } {
    if (this.localOnly) return { backend: this.tracker.spillStore!, info: this.info };
    if (this.spillInfo) return { backend: this.tracker.spillStore!, info: this.spillInfo };
    return { backend: this.tracker.backend, info: this.info };
  }

  /** Serializes writes (order matters for params/tags/metrics) and spills on connection loss. */
  private send(op: (backend: TrackingBackend, info: RunInfo) => Promise<void>): Promise<void> {
    const p = this.chain.then(async () => {
      const target = this.backendFor();
      try {
        await op(target.backend, target.info);
      } catch (e) {
        if (!(e instanceof TrackingConnectionError) || !this.tracker.spillStore || this.spilled) throw e;
        await this.startSpill(e);
        const local = this.backendFor();
        await op(local.backend, local.info);
      }
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async startSpill(cause: TrackingConnectionError): Promise<void> {
    const tags = [
      ...this.startTags.filter((t) => t.key !== MLFLOW_TAG.runName),
      { key: MLFLOW_TAG.spillServerRunId, value: this.info.runId },
      { key: MLFLOW_TAG.spillTrackingUri, value: this.tracker.backend.uri },
    ];
    this.spillInfo = await this.tracker.createLocalRun(this.experiment, this.info.runName, this.info.startTime, tags);
    // Params are already on the server; a copy makes the local run readable on its own (sync re-sends identical values).
    if (this.params.size) await this.tracker.spillStore!.logBatch(this.spillInfo.runId, { params: [...this.params].map(([key, value]) => ({ key, value })) });
    this.tracker.warn(
      `semantic-srn tracking: ${cause.message}; run ${this.info.runId} continues in the local store ${this.tracker.spillStore!.root} ` +
        `(run ${this.spillInfo.runId}); replay it with: semantic-srn mlflow sync ${this.tracker.spillStore!.root} --to ${this.tracker.backend.uri}`,
    );
  }

  private checkOpen(what: string): void {
    if (this.ended) throw new TrackingError(`${what}: run ${this.runId} has already ended (${this._status})`);
  }

  async logParams(params: Record<string, unknown>): Promise<void> {
    this.checkOpen('logParams');
    const flat = flattenParams(params);
    const list: KeyValue[] = [];
    for (const [key, value] of Object.entries(flat)) {
      validateKey('param', key);
      validateParamValue(key, value);
      const old = this.params.get(key);
      if (old !== undefined) {
        if (old !== value) throw new ParamConflictError(this.runId, key, old, value);
        continue;
      }
      list.push({ key, value });
    }
    if (list.length === 0) return;
    await this.send((b, info) => b.logBatch(info.runId, { params: list }));
    for (const p of list) this.params.set(p.key, p.value);
  }

  logParam(key: string, value: unknown): Promise<void> {
    validateKey('param', key);
    return this.logParams({ [key]: value });
  }

  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    this.checkOpen('logMetric');
    validateMetric(key, value, step, timestamp);
    this.buffer.push({ key, value, step, timestamp });
    this.scheduleFlush();
  }

  logMetrics(record: Record<string, number>, step = 0, timestamp = Date.now()): void {
    this.checkOpen('logMetrics');
    const points = Object.entries(record).map(([key, value]) => {
      validateMetric(key, value, step, timestamp);
      return { key, value, step, timestamp };
    });
    this.buffer.push(...points);
    this.scheduleFlush();
  }

  stepLogger(prefix = ''): StepLogger {
    return (step, record) => this.logMetrics(prefix ? Object.fromEntries(Object.entries(record).map(([k, v]) => [prefix + k, v])) : record, step);
  }

  private scheduleFlush(): void {
    if (this.buffer.length >= this.tracker.flushEvery) {
      this.flushInBackground();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flushInBackground(), this.tracker.flushIntervalMs);
      this.timer.unref(); // buffered metrics must not keep a finished script alive; end() flushes them
    }
  }

  private flushInBackground(): void {
    this.sendBuffered().catch((e: Error) => {
      this.deliveryError ??= e;
    });
  }

  private sendBuffered(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return this.chain;
    const metrics = this.buffer;
    this.buffer = [];
    return this.send((b, info) => b.logBatch(info.runId, { metrics }));
  }

  async flush(): Promise<void> {
    await this.sendBuffered();
    await this.chain;
    const e = this.deliveryError;
    if (e) {
      this.deliveryError = undefined;
      throw e;
    }
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    this.checkOpen('setTags');
    const list = Object.entries(tags).map(([key, value]) => ({ key: validateKey('tag', key), value: validateTagValue(key, value) }));
    if (list.length) await this.send((b, info) => b.logBatch(info.runId, { tags: list } satisfies LogBatch));
  }

  setTag(key: string, value: string): Promise<void> {
    return this.setTags({ [key]: value });
  }

  async logArtifact(localPath: string, artifactPath = ''): Promise<void> {
    this.checkOpen('logArtifact');
    const dest = normalizeArtifactPath(artifactPath, 'artifact path');
    const st = statSync(localPath);
    // Like MLflow: a file goes to <artifactPath>/<name>, a directory's contents under <artifactPath>.
    const files: [string, string][] = st.isDirectory()
      ? (readdirSync(localPath, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
          .filter((d) => d.isFile())
          .map((d) => {
            const abs = join(d.parentPath ?? (d as unknown as { path: string }).path, d.name);
            const rel = abs.slice(localPath.replace(/[\\/]+$/, '').length + 1).split(/[\\/]/).join('/');
            return [abs, dest ? `${dest}/${rel}` : rel];
          })
      : [[localPath, dest ? `${dest}/${basename(localPath)}` : basename(localPath)]];
    for (const [abs, rel] of files) {
      const data = readFileSync(abs);
      await this.send((b, info) => b.putArtifact(info, rel, data));
    }
  }

  async logArtifactBytes(name: string, bytes: Uint8Array): Promise<void> {
    this.checkOpen('logArtifactBytes');
    const path = normalizeArtifactPath(name, 'artifact name');
    if (!path) throw new TrackingError(`artifact name ${JSON.stringify(name)} is empty`);
    await this.send((b, info) => b.putArtifact(info, path, bytes));
  }

  logText(name: string, text: string): Promise<void> {
    return this.logArtifactBytes(name, Buffer.from(text, 'utf8'));
  }

  logJson(name: string, value: unknown): Promise<void> {
    return this.logText(name, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n');
  }

  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    let error: unknown;
    try {
      await this.flush();
    } catch (e) {
      error = e;
    }
    const finalStatus: RunStatus = error && status === 'FINISHED' ? 'FAILED' : status;
    try {
      await this.send((b, info) => b.updateRun(info.runId, finalStatus, Date.now()));
      this._status = finalStatus;
      if (this.leaseFile) removeLease(this.leaseFile);
    } catch (e) {
      error ??= e;
    } finally {
      this.tracker.forget(this);
    }
    if (error) throw error;
  }
}

export type { TrackedRun };
