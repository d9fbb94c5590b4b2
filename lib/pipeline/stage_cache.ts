/**
 * Trained stages cached by what made them: `<runsDir>/<kind>/<preset>-<class>-s<seed>-<hash>/checkpoint`, reused
 * when finished, resumed when not. The fully supervised semantic SRN lives here (not in experiments/) because two
 * floors train it: the SRN+U-Net baseline (Table 1 columns 5–6) and mask reconstruction (Fig. 6). Both must find
 * the one resumable training of ~10,000 steps, not start their own.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scheduleSteps } from '../config/presets';
import type { SrnConfig } from '../config/types';
import type { SplitInfo } from '../data/types';
import { ViewCache } from '../data/view_loader';
import { SrnModel } from '../srn/model';
import { findCheckpoint, loadModelState, modelCodeStale, versionMismatch, type LoadedCheckpoint } from '../training/checkpoint';
import { splitSource } from '../training/data';
import type { ProgressCallback } from '../training/progress';
import { trainSemantic } from '../training/stages';
import { numericMetrics } from '../tracking/metric_record';
import type { RunHandle } from '../tracking/types';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic_write';
import { acquireLease, type Lease } from '../util/lease';

/** What a cached stage is keyed on besides its config: the data folder, its training split and version. */
export interface StageData {
  root: string;
  train: SplitInfo;
  /** What checkpoints record as their training data (`synthetic-v<N>` or `external`). */
  dataVersion: string;
}

export interface StageOptions {
  /** The cache's parent folder (default `runs`). */
  runsDir?: string;
  run?: RunHandle;
  log?: (message: string) => void;
  stepProgress?: ProgressCallback | false;
  signal?: AbortSignal;
}

/** A short content hash of a JSON-able value (cache keys). */
export function stageHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

/** The start of a cached stage's key, `<preset>-<class>-s<seed>-`, before the hash of what made it. */
function stageKeyPrefix(preset: string, className: string, seed: number): string {
  return `${preset}-${className.toLowerCase()}-s${seed}-`;
}

/** A semantic SRN training found on disk: its cache key, newest verified step and the steps its config schedules. */
export interface SemanticOnDisk {
  key: string;
  /** null when its folder holds no checkpoint that verifies (never saved, or damaged). */
  step: number | null;
  total: number | null;
  /** Why it can be neither reused nor resumed (model code of another version), when so: it trains anew. */
  stale?: string;
}

/**
 * The semantic SRN trainings under `<runsDir>/semantic/` of one preset, class and seed, whatever data folder they
 * were keyed on (planning only: the experiment itself picks the one whose key matches its data). Reads, writes nothing.
 */
export function semanticTrainingsOnDisk(runsDir: string, preset: string, className: string, seed: number): SemanticOnDisk[] {
  const root = join(runsDir, 'semantic');
  if (!existsSync(root)) return [];
  const prefix = stageKeyPrefix(preset, className, seed);
  return readdirSync(root)
    .filter((name) => name.startsWith(prefix))
    .sort()
    .map((key) => {
      try {
        const m = findCheckpoint(join(root, key, 'checkpoint'))?.manifest;
        const stale = m && modelCodeStale(m.stage, m.versions?.modelCode);
        return { key, step: m?.step ?? null, total: m ? scheduleSteps(m.config.training.semantic.schedule) : null, ...(stale ? { stale } : {}) };
      } catch {
        return { key, step: null, total: null };
      }
    });
}

/**
 * The cache of a trained stage, `<runsDir>/<kind>/<preset>-<class>-s<seed>-<hash(keyObj)>/` (key.json written), and
 * its checkpoint: `finished` when it holds `stage` at `total` steps or more, else the one to resume (if any).
 * A checkpoint of other model code or data is neither reused nor resumed: `stale` says why (leaseCachedStage sets it
 * aside, so the stage trains anew).
 */
export function cachedStage(
  kind: 'pretrain' | 'semantic',
  runsDir: string,
  config: SrnConfig,
  data: StageData,
  keyObj: unknown,
  total: number,
): { key: string; dir: string; ckDir: string; found: LoadedCheckpoint | undefined; finished: boolean; stale?: string } {
  const key = `${stageKeyPrefix(config.preset, data.train.className, config.seed)}${stageHash(keyObj)}`;
  const dir = join(runsDir, kind, key);
  const ckDir = join(dir, 'checkpoint');
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'key.json'), keyObj);
  const found = findCheckpoint(ckDir);
  if (!found) return { key, dir, ckDir, found, finished: false };
  const stale = versionMismatch(found.manifest, data.dataVersion);
  if (stale) return { key, dir, ckDir, found: undefined, finished: false, stale: `${found.dir}: ${stale}` };
  return { key, dir, ckDir, found, finished: found.manifest.stage === kind && found.manifest.step >= total };
}

/**
 * Before training a cached stage: its lease (`<dir>/training.lock`, one trainer per checkpoint), and the checkpoint
 * looked at again under it, since another process may have advanced or finished it meanwhile. A stale checkpoint
 * (other model code or data) is moved with its history to `<dir>/stale-<time>/` (kept, with WHY.txt), and the stage
 * trains anew; `setAside` names that folder and why. Release the lease in a `finally`.
 */
export function leaseCachedStage(...args: Parameters<typeof cachedStage>): ReturnType<typeof cachedStage> & { lease: Lease; setAside?: string } {
  const [kind] = args;
  const { dir } = cachedStage(...args);
  const lease = acquireLease(join(dir, 'training.lock'), `the ${kind === 'pretrain' ? 'pre-training' : 'semantic SRN'} in ${dir}`);
  try {
    const got = cachedStage(...args);
    if (!got.stale) return { ...got, lease };
    const aside = join(dir, `stale-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(aside);
    writeFileAtomic(join(aside, 'WHY.txt'), `${got.stale}\n`);
    renameSync(got.ckDir, join(aside, 'checkpoint'));
    if (existsSync(join(dir, 'history.json'))) renameSync(join(dir, 'history.json'), join(aside, 'history.json'));
    return { ...cachedStage(...args), lease, setAside: `${aside} (${got.stale})` };
  } catch (e) {
    lease.release();
    throw e;
  }
}

/**
 * The training data in a cache key: the data folder's real path (a symlinked `.cache/data-128` in a worktree is the
 * same data), class and object ids.
 */
export function stageDataKey(data: StageData): Record<string, unknown> {
  let root = data.root;
  try {
    root = realpathSync(root);
  } catch {
    // not there (yet): the path as given
  }
  return { root, className: data.train.className, instances: data.train.instances.map((i) => i.id) };
}

/** What identifies a semantic SRN: model + semantic training config, seed, and the exact training data. */
export function semanticKey(config: SrnConfig, data: StageData): Record<string, unknown> {
  return { model: config.model, semantic: config.training.semantic, seed: config.seed, data: stageDataKey(data) };
}

/**
 * The fully supervised semantic SRN (reference §8, SRN+U-Net; the model the paper's Fig. 6 uses): trained end to
 * end with the U-Net head on every label of the training objects (`training.semantic`), checkpointed every 500
 * steps, resumed and reused under `<runsDir>/semantic/<preset>-<class>-s<seed>-<hash>/`. `config.seed` is the
 * training's seed: callers with replicate seeds pass their pre-training seed so the replicates share one training.
 */
export async function ensureSemantic(
  config: SrnConfig,
  data: StageData,
  opts: StageOptions = {},
): Promise<{ model: SrnModel; dir: string; reused: boolean; steps: number; seconds: number; lossLast20: number | null }> {
  const runsDir = resolve(opts.runsDir ?? 'runs');
  const total = scheduleSteps(config.training.semantic.schedule);
  const first = cachedStage('semantic', runsDir, config, data, semanticKey(config, data), total);
  const { dir, ckDir } = first;
  const historyPath = join(dir, 'history.json');
  // Training takes the stage's lease and looks again under it; reusing a finished stage takes none.
  const { found, finished, lease, setAside } = first.finished ? { ...first, lease: undefined, setAside: undefined } : leaseCachedStage('semantic', runsDir, config, data, semanticKey(config, data), total);
  if (setAside) opts.log?.(`semantic SRN: the one on disk is stale and was set aside; it trains anew: ${setAside}`);
  const model = new SrnModel(config.model, { numInstances: Math.max(...data.train.instances.map((i) => i.index)) + 1, seed: config.seed, heads: ['unet'] });
  let res: Awaited<ReturnType<typeof trainSemantic>>;
  const t = performance.now();
  try {
    if (found && finished) {
      loadModelState(found, model);
      opts.log?.(`semantic SRN: reusing ${ckDir} (${found.manifest.step} steps)`);
      const h = existsSync(historyPath) ? (JSON.parse(readFileSync(historyPath, 'utf8')) as { lossLast20: number | null }) : undefined;
      return { model, dir: ckDir, reused: true, steps: found.manifest.step, seconds: 0, lossLast20: h?.lossLast20 ?? null };
    }
    opts.log?.(found ? `semantic SRN: resuming ${ckDir} at step ${found.manifest.step} of ${total}` : `semantic SRN (U-Net head, all labels): ${total} steps → ${ckDir}`);
    res = await trainSemantic(config, model, splitSource(data.train, { seed: `${config.seed}/semantic`, cache: new ViewCache(256 * 2 ** 20) }), {
      onMetrics: opts.run ? (step, rec) => opts.run!.logMetrics(numericMetrics(rec, 'semantic/'), step) : undefined,
      onProgress: opts.stepProgress ?? false,
      checkpoint: { dir: ckDir, every: 500, dataVersion: data.dataVersion },
      resumeFrom: found,
      signal: opts.signal,
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    lease?.release();
  }
  res.adam?.dispose();
  if (res.aborted) {
    model.dispose();
    throw new Error(`semantic SRN training aborted at step ${res.step} (its checkpoint in ${ckDir} resumes it)`);
  }
  const seconds = (performance.now() - t) / 1000;
  const last = res.history.slice(-20).map((r) => r.loss);
  const lossLast20 = last.length ? last.reduce((a, b) => a + b, 0) / last.length : null;
  writeJsonAtomic(historyPath, { steps: res.step, lossLast20 });
  opts.log?.(`semantic SRN: ${res.step} steps in ${seconds.toFixed(1)} s`);
  return { model, dir: ckDir, reused: false, steps: res.step, seconds, lossLast20 };
}
