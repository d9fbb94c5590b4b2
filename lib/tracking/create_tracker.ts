/**
 * `createTracker()`: picks the backend from `MLFLOW_TRACKING_URI` the way MLflow users expect —
 * http(s) -> tracking server (spilling to ./mlruns when it is unreachable), `file:`/path -> local file store,
 * unset -> ./mlruns. Plus `NullTracker` for code paths that track nothing.
 */
import { TrackingError } from './errors';
import { FileStore } from './file_store';
import { MemoryBackend } from './memory_store';
import { RestBackend, type RestBackendOptions } from './rest_store';
import { DEFAULT_EXPERIMENT, MlflowTracker, type TrackerOptions } from './tracker';
import type { RunHandle, RunStatus, StartRunOptions, StepLogger, Tracker } from './types';

export const DEFAULT_LOCAL_STORE = './mlruns';

export interface CreateTrackerOptions extends Omit<TrackerOptions, 'backend' | 'spillStore'> {
  /** Tracking URI; default `MLFLOW_TRACKING_URI`, else the local store. `memory:` keeps runs in memory. */
  uri?: string;
  /** Local store for offline runs and spilling (default `./mlruns`); `false` disables spilling. */
  localStore?: string | false;
  /** REST options (retries, timeouts, auth) for http(s) URIs. */
  rest?: Omit<RestBackendOptions, 'uri'>;
  env?: NodeJS.ProcessEnv;
}

export function createTracker(opts: CreateTrackerOptions = {}): MlflowTracker {
  const env = opts.env ?? process.env;
  const uri = (opts.uri ?? env.MLFLOW_TRACKING_URI ?? '').trim();
  const experimentName = opts.experimentName ?? (env.MLFLOW_EXPERIMENT_NAME || DEFAULT_EXPERIMENT);
  const local = opts.localStore === false ? undefined : (opts.localStore ?? DEFAULT_LOCAL_STORE);
  const common = { ...opts, experimentName };
  if (/^https?:\/\//i.test(uri))
    return new MlflowTracker({ ...common, backend: new RestBackend({ ...opts.rest, uri, env }), spillStore: local ? new FileStore(local) : undefined });
  if (uri === 'memory:') return new MlflowTracker({ ...common, backend: new MemoryBackend() });
  if (uri === '' || uri.startsWith('file:') || !/^[A-Za-z][\w+.-]*:/.test(uri))
    return new MlflowTracker({ ...common, backend: new FileStore(uri || local || DEFAULT_LOCAL_STORE) });
  throw new TrackingError(
    `MLFLOW_TRACKING_URI=${uri} is not supported from Node: use an http(s) tracking server ` +
      `(e.g. 'mlflow server --backend-store-uri ${uri}') or a file: path`,
  );
}

/** A tracker for tests and dry runs: same API, in memory, inspectable through `.backend`. */
export function createMemoryTracker(opts: Omit<TrackerOptions, 'backend' | 'spillStore'> = {}): MlflowTracker & { backend: MemoryBackend } {
  return new MlflowTracker({ systemTags: false, handleSignals: false, ...opts, backend: new MemoryBackend() }) as MlflowTracker & { backend: MemoryBackend };
}

class NullRun implements RunHandle {
  readonly experimentId = '';
  readonly spilled = false;
  status: RunStatus = 'RUNNING';
  constructor(readonly runId: string, readonly name: string) {}
  async logParams(): Promise<void> {}
  async logParam(): Promise<void> {}
  logMetric(): void {}
  logMetrics(): void {}
  stepLogger(): StepLogger {
    return () => {};
  }
  async setTags(): Promise<void> {}
  async setTag(): Promise<void> {}
  async logArtifact(): Promise<void> {}
  async logArtifactBytes(): Promise<void> {}
  async logText(): Promise<void> {}
  async logJson(): Promise<void> {}
  async flush(): Promise<void> {}
  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    this.status = status;
  }
}

/** Tracks nothing; for library code called without a tracker. */
export class NullTracker implements Tracker {
  readonly uri = 'null:';
  readonly experimentName = '';
  private n = 0;
  async startRun(opts: StartRunOptions = {}): Promise<RunHandle> {
    return new NullRun(String(++this.n).padStart(32, '0'), opts.name ?? 'null');
  }
  async withRun<T>(opts: StartRunOptions, fn: (run: RunHandle) => Promise<T> | T): Promise<T> {
    return fn(await this.startRun(opts));
  }
  openRuns(): RunHandle[] {
    return [];
  }
  async close(): Promise<void> {}
}
