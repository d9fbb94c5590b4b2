/**
 * The `mlflow.*` tags the MLflow UI reads for its User, Source and Version columns, computed once per process.
 */
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { randomInt } from 'node:crypto';

export const MLFLOW_TAG = {
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  gitBranch: 'mlflow.source.git.branch',
  parentRunId: 'mlflow.parentRunId',
  note: 'mlflow.note.content',
  experimentKind: 'mlflow.experimentKind',
  /** On a server run created by `sync`: the local run it was replayed from. */
  sourceRunId: 'semantic_srn.source_run_id',
  /** On a local run that continues a server run after the server became unreachable. */
  spillServerRunId: 'semantic_srn.spill.server_run_id',
  spillTrackingUri: 'semantic_srn.spill.tracking_uri',
} as const;

export const EXPERIMENT_KIND = 'custom_model_development';

export type SourceType = 'LOCAL' | 'NOTEBOOK' | 'JOB' | 'PROJECT' | 'UNKNOWN';

export interface SystemTagOptions {
  /** Script or notebook path (default: the entry script, `process.argv[1]`). */
  sourceName?: string;
  sourceType?: SourceType;
  env?: NodeJS.ProcessEnv;
}

function currentUser(env: NodeJS.ProcessEnv): string {
  try {
    const u = userInfo().username;
    if (u) return u;
  } catch {
    // no passwd entry (containers): fall back to env
  }
  return env.USER || env.LOGNAME || env.USERNAME || 'unknown';
}

const gitCache = new Map<string, { commit?: string; branch?: string }>();

/** Commit and branch of the repo containing `dir`, or nothing when not in a git repo / git missing. */
export function gitInfo(dir: string): { commit?: string; branch?: string } {
  const cached = gitCache.get(dir);
  if (cached) return cached;
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const commit = git('rev-parse', 'HEAD');
  const branch = commit ? git('rev-parse', '--abbrev-ref', 'HEAD') : undefined;
  const info = { commit, branch: branch && branch !== 'HEAD' ? branch : undefined };
  gitCache.set(dir, info);
  return info;
}

export function systemTags(opts: SystemTagOptions = {}): Record<string, string> {
  const env = opts.env ?? process.env;
  const sourceName = opts.sourceName ?? (process.argv[1] ? resolve(process.argv[1]) : 'node');
  const tags: Record<string, string> = {
    [MLFLOW_TAG.user]: currentUser(env),
    [MLFLOW_TAG.sourceName]: sourceName,
    [MLFLOW_TAG.sourceType]: opts.sourceType ?? 'LOCAL',
  };
  const git = gitInfo(opts.sourceName || process.argv[1] ? dirname(resolve(sourceName)) : process.cwd());
  if (git.commit) tags[MLFLOW_TAG.gitCommit] = git.commit;
  if (git.branch) tags[MLFLOW_TAG.gitBranch] = git.branch;
  return tags;
}

const ADJECTIVES = ['amber', 'bold', 'calm', 'deft', 'eager', 'fair', 'glad', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'rapid', 'sunny', 'vivid', 'wise'];
const NOUNS = ['atlas', 'bison', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'heron', 'iris', 'lynx', 'maple', 'otter', 'pike', 'raven', 'tern', 'wren'];

/** MLflow-style random run name (`keen-heron-417`), used where no server generates one. */
export function generateRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
