// Experiment tracking in MLflow: typed REST client, local mlruns store, sync, in-memory/null trackers.
export * from './types';
export * from './errors';
export { MLFLOW_LIMITS, flattenParams, encodeDouble, decodeDouble } from './validation';
export { splitBatch, type BatchLimits } from './batching';
export { numericMetrics } from './metric_record';
export { RestClient, authorizationFromEnv, type RestClientOptions } from './http_client';
export { RestBackend, type RestBackendOptions, type RemoteRun, type RemoteExperiment, type ArtifactEntry } from './rest_store';
export { FileStore, type LocalRun, type LocalExperiment } from './file_store';
export { MemoryBackend, type MemoryRun } from './memory_store';
export { MLFLOW_TAG, EXPERIMENT_KIND, systemTags, type SystemTagOptions } from './system_tags';
export { mlflowUiLink, mlflowUiLine, mlflowUiFragment } from './ui_link';
export { MlflowTracker, DEFAULT_EXPERIMENT, type TrackerOptions } from './tracker';
export { runInterruptibly, registerInterruptible, type Interruptible } from './signals';
export * from './create_tracker';
export { syncLocalStore, type SyncOptions, type SyncedRun } from './sync';
export * from './lifecycle';
