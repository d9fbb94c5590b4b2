/**
 * The tracking API that training stages, the quickstart and notebooks code against. Backends (MLflow REST,
 * the local mlruns store, memory) sit behind `TrackingBackend`; `RunHandle` does buffering, validation and
 * spilling the same way for all of them.
 */

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const TERMINAL_STATUSES: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

export interface MetricPoint {
  key: string;
  value: number;
  /** ms since epoch */
  timestamp: number;
  step: number;
}
export interface KeyValue {
  key: string;
  value: string;
}
export interface LogBatch {
  metrics?: MetricPoint[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  /** Where artifacts go: `mlflow-artifacts:/…` (server proxy) or `file:///…` */
  artifactUri: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
}

export interface CreateRunRequest {
  experimentId: string;
  runName: string;
  startTime: number;
  tags: KeyValue[];
}

/** The minimal operations a store must offer; everything else is built on top in `RunHandle`. */
export interface TrackingBackend {
  /** `http(s)://…`, `file:///…` or `memory:` */
  readonly uri: string;
  getOrCreateExperiment(name: string, tags?: KeyValue[]): Promise<string>;
  createRun(req: CreateRunRequest): Promise<RunInfo>;
  /** Entities already validated; the backend splits them to its own limits. */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  updateRun(runId: string, status: RunStatus, endTime: number): Promise<void>;
  /** `artifactPath` is relative to the run's artifact root, `/`-separated. */
  putArtifact(run: RunInfo, artifactPath: string, data: Uint8Array): Promise<void>;
  /** A run's info, or undefined when this store has no such run (for continuing a run after a crash). */
  findRunInfo?(runId: string): Promise<RunInfo | undefined>;
  close?(): Promise<void>;
}

export interface StartRunOptions {
  /** Run name (MLflow UI "Run Name"); generated when omitted. */
  name?: string;
  /** Experiment name; defaults to the tracker's experiment. */
  experiment?: string;
  tags?: Record<string, string>;
  /** Parent run id (or handle) for nested runs, e.g. one child per sweep configuration. */
  parent?: string | RunHandle;
  /** Convenience: flattened and logged right after the run starts. */
  params?: Record<string, unknown>;
  /** Free-text description (tag `mlflow.note.content`). */
  description?: string;
  /**
   * A lease file (e.g. `<runDir>/tracking-run.json`) that names this run while it is open and is removed
   * when it ends. Found at the next start, it means the last process died without ending its run (kill -9):
   * with `resume: true` that run is continued (same run id; a resumed training logs into it), otherwise it
   * is marked FAILED — so no run stays RUNNING forever. See lifecycle.ts.
   */
  lease?: { file: string; resume?: boolean };
}

/** What a training loop takes: called once per step with that step's scalar metrics. */
export type StepLogger = (step: number, record: Record<string, number>) => void;

export interface RunHandle {
  readonly runId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly status: RunStatus;
  /** True once the server became unreachable and this run writes to the local store instead. */
  readonly spilled: boolean;
  /** Logs a config object flattened to dotted keys; throws `ParamConflictError` when a key changes value. */
  logParams(params: Record<string, unknown>): Promise<void>;
  logParam(key: string, value: unknown): Promise<void>;
  /** Buffered (sent in batches); validation errors throw here, delivery errors at `flush()`/`end()`. */
  logMetric(key: string, value: number, step?: number, timestamp?: number): void;
  logMetrics(record: Record<string, number>, step?: number, timestamp?: number): void;
  /** A `StepLogger` writing `prefix + key` metrics into this run. */
  stepLogger(prefix?: string): StepLogger;
  setTags(tags: Record<string, string>): Promise<void>;
  setTag(key: string, value: string): Promise<void>;
  /** A file (or a directory, recursively) into the artifact root or under `artifactPath`. */
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** `name` may contain folders: `plots/loss.svg`. */
  logArtifactBytes(name: string, bytes: Uint8Array): Promise<void>;
  logText(name: string, text: string): Promise<void>;
  logJson(name: string, value: unknown): Promise<void>;
  flush(): Promise<void>;
  /** Flushes and marks the run ended; idempotent. */
  end(status?: RunStatus): Promise<void>;
}

export interface Tracker {
  /** Where runs go, for messages: a URL, a `file:` URI or `memory:`. */
  readonly uri: string;
  readonly experimentName: string;
  startRun(opts?: StartRunOptions): Promise<RunHandle>;
  /** Runs `fn` in a run, ending it FINISHED, or FAILED (and rethrowing) when `fn` throws. */
  withRun<T>(opts: StartRunOptions, fn: (run: RunHandle) => Promise<T> | T): Promise<T>;
  /** Runs started by this tracker and not yet ended. */
  openRuns(): RunHandle[];
  /** Ends open runs (`status`, default KILLED) and releases connections. */
  close(status?: RunStatus): Promise<void>;
}
