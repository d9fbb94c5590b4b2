/**
 * `semantic-srn mlflow sync`: replays runs of a local file store into a tracking server, idempotently.
 * - A run the tracker spilled (tag `semantic_srn.spill.server_run_id`) continues its server run.
 * - Any other local run maps to the server run tagged `semantic_srn.source_run_id = <local id>`, created on
 *   the first sync. Existing runs are diffed (metric history, params, tags, artifact sizes), so a second
 *   sync — or one after an interrupted sync — sends only what is missing.
 * - `mlflow.parentRunId` is rewritten from local to server ids (parents are synced first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrackingError } from './errors';
import { FileStore, formatMetricValue, type LocalRun } from './file_store';
import { RestBackend, type RemoteRun, type RestBackendOptions } from './rest_store';
import { EXPERIMENT_KIND, MLFLOW_TAG } from './system_tags';
import { TERMINAL_STATUSES, type KeyValue, type MetricPoint, type RunInfo } from './types';

export interface SyncOptions {
  /** Local store folder or `file:` URI (default ./mlruns). */
  from?: string;
  /** Tracking server URL, or a ready backend. */
  to: string | RestBackend;
  rest?: Omit<RestBackendOptions, 'uri'>;
  /** Only these experiment names (default all). */
  experiments?: string[];
  /** Report what would be sent without writing to the server (runs not yet on the server are not diffed). */
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface SyncedRun {
  experiment: string;
  localRunId: string;
  serverRunId: string;
  action: 'created' | 'updated' | 'unchanged';
  metrics: number;
  params: number;
  tags: number;
  artifacts: number;
}

const SPILL_TAGS = new Set<string>([MLFLOW_TAG.spillServerRunId, MLFLOW_TAG.spillTrackingUri]);
const pointKey = (m: MetricPoint) => `${m.step}|${m.timestamp}|${formatMetricValue(m.value)}`;

/** Parents before children (by local `mlflow.parentRunId`), otherwise by start time. */
function parentsFirst(runs: LocalRun[]): LocalRun[] {
  const byId = new Map(runs.map((r) => [r.info.runId, r]));
  const out: LocalRun[] = [];
  const done = new Set<string>();
  const visit = (r: LocalRun, depth: number) => {
    if (done.has(r.info.runId)) return;
    if (depth > runs.length) throw new TrackingError(`cycle in mlflow.parentRunId tags around run ${r.info.runId}`);
    const parent = byId.get(r.tags[MLFLOW_TAG.parentRunId]);
    if (parent) visit(parent, depth + 1);
    done.add(r.info.runId);
    out.push(r);
  };
  for (const r of runs) visit(r, 0);
  return out;
}

export async function syncLocalStore(opts: SyncOptions): Promise<SyncedRun[]> {
  const store = new FileStore(opts.from ?? './mlruns');
  if (!existsSync(store.root)) throw new TrackingError(`no local store at ${store.root}`);
  const remote = typeof opts.to === 'string' ? new RestBackend({ ...opts.rest, uri: opts.to }) : opts.to;
  const log = opts.log ?? (() => {});
  const idMap = new Map<string, string>(); // local run id -> server run id
  const results: SyncedRun[] = [];
  try {
    for (const exp of store.listExperiments()) {
      if (exp.lifecycleStage !== 'active') continue;
      if (opts.experiments && !opts.experiments.includes(exp.name)) continue;
      const runs = store
        .listRuns(exp.experimentId)
        .filter((r) => r.lifecycleStage === 'active')
        .map((r) => store.readRun(r.runId));
      if (runs.length === 0) continue;
      const expTags: KeyValue[] = Object.entries({ [MLFLOW_TAG.experimentKind]: EXPERIMENT_KIND, ...exp.tags }).map(([key, value]) => ({ key, value }));
      let remoteExpId: string | undefined;
      for (const run of parentsFirst(runs)) {
        remoteExpId ??= opts.dryRun ? (await remote.getExperimentByName(exp.name))?.experimentId ?? '(new)' : await remote.getOrCreateExperiment(exp.name, expTags);
        const r = await syncRun(store, remote, run, exp.name, remoteExpId, idMap, opts.dryRun ?? false);
        results.push(r);
        log(
          `${opts.dryRun ? '[dry run] ' : ''}${r.action.padEnd(9)} ${exp.name}/${run.info.runName || run.info.runId} ` +
            `${r.localRunId} -> ${r.serverRunId}: ${r.metrics} metric points, ${r.params} params, ${r.tags} tags, ${r.artifacts} artifacts`,
        );
      }
    }
  } finally {
    if (typeof opts.to === 'string') await remote.close();
  }
  return results;
}

async function syncRun(
  store: FileStore,
  remote: RestBackend,
  run: LocalRun,
  experiment: string,
  remoteExpId: string,
  idMap: Map<string, string>,
  dryRun: boolean,
): Promise<SyncedRun> {
  const localId = run.info.runId;
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.tags)) if (!SPILL_TAGS.has(k)) tags[k] = v;
  if (tags[MLFLOW_TAG.parentRunId] && idMap.has(tags[MLFLOW_TAG.parentRunId])) tags[MLFLOW_TAG.parentRunId] = idMap.get(tags[MLFLOW_TAG.parentRunId])!;

  // Find the server run this local run belongs to.
  let existing: RemoteRun | undefined;
  const spillTarget = run.tags[MLFLOW_TAG.spillServerRunId];
  if (spillTarget) existing = await remote.findRun(spillTarget);
  if (!existing && remoteExpId !== '(new)') {
    const found = await remote.searchRuns([remoteExpId], `tags.\`${MLFLOW_TAG.sourceRunId}\` = '${localId}'`);
    existing = found[0];
  }

  let serverRun: RunInfo;
  let action: SyncedRun['action'];
  const sent = { metrics: 0, params: 0, tags: 0, artifacts: 0 };
  if (existing) {
    serverRun = existing.info;
    action = 'unchanged';
  } else {
    tags[MLFLOW_TAG.sourceRunId] = localId;
    const tagList = Object.entries(tags).map(([key, value]) => ({ key, value }));
    serverRun = dryRun
      ? { ...run.info, runId: '(new)' }
      : await remote.createRun({ experimentId: remoteExpId, runName: run.info.runName, startTime: run.info.startTime, tags: tagList });
    sent.tags = tagList.length;
    action = 'created';
  }
  idMap.set(localId, serverRun.runId);

  // Params and tags: only what is missing or different.
  const params: KeyValue[] = [];
  for (const [key, value] of Object.entries(run.params)) {
    const old = existing?.params[key];
    if (old === undefined) params.push({ key, value });
    else if (old !== value)
      throw new TrackingError(`cannot sync run ${localId}: param '${key}' is ${JSON.stringify(value)} locally but ${JSON.stringify(old)} on server run ${serverRun.runId}`);
  }
  const newTags: KeyValue[] = existing ? Object.entries(tags).filter(([k, v]) => existing!.tags[k] !== v).map(([key, value]) => ({ key, value })) : [];

  // Metrics: the server's history decides what is already there.
  const metrics: MetricPoint[] = [];
  for (const [key, points] of Object.entries(run.metrics)) {
    if (!existing) {
      metrics.push(...points);
      continue;
    }
    const have = new Set((await remote.getMetricHistory(serverRun.runId, key)).map(pointKey));
    for (const p of points) if (!have.has(pointKey(p))) metrics.push(p);
  }
  if (!dryRun && (params.length || newTags.length || metrics.length)) await remote.logBatch(serverRun.runId, { params, tags: newTags, metrics });
  sent.params = params.length;
  sent.tags += newTags.length;
  sent.metrics = metrics.length;

  // Artifacts: upload files missing on the server or of another size.
  const localFiles = store.listArtifactFiles(localId);
  if (localFiles.length) {
    const remoteSizes = existing ? new Map((await remote.listArtifacts(serverRun.runId)).map((a) => [a.path, a.fileSize])) : new Map<string, number | undefined>();
    const root = store.artifactDir(localId);
    for (const rel of localFiles) {
      const data = readFileSync(join(root, ...rel.split('/')));
      if (remoteSizes.get(rel) === data.byteLength) continue;
      if (!dryRun) await remote.putArtifact(serverRun, rel, data);
      sent.artifacts++;
    }
  }

  // Status and end time, once the local run has ended.
  const status = run.info.status;
  if (TERMINAL_STATUSES.includes(status) && (existing?.info.status !== status || existing?.info.endTime !== run.info.endTime)) {
    if (!dryRun) await remote.updateRun(serverRun.runId, status, run.info.endTime ?? Date.now());
    if (action === 'unchanged') action = 'updated';
  }
  if (action === 'unchanged' && sent.params + sent.tags + sent.metrics + sent.artifacts > 0) action = 'updated';
  return { experiment, localRunId: localId, serverRunId: serverRun.runId, action, ...sent };
}
