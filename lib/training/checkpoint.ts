/**
 * Checkpoints: a directory holding `manifest.json` (config, stage, step, and every tensor with its shape,
 * dtype, place and sha256) and `weights.bin` (every tensor as little-endian float32, concatenated): model
 * weights, BatchNorm running stats and latent codes, and the trainer's optimiser state: the latent
 * SparseAdam's moments and step, the dense Adam's moments and step.
 *
 * Recoverable at every instant (docs/reliability.md): the new checkpoint is written complete into a
 * temporary sibling `.<name>.tmp-*`, the previous one is moved aside (`<name>.old`, or `<name>.step-N` when
 * keeping several) and removed only after the new one is in place. `loadCheckpoint` verifies every
 * candidate (current, `.old`, `.step-*`, complete temporaries) and takes the newest that verifies, so a
 * kill between any two renames loses nothing; temporaries are cleaned after the next successful write.
 * Non-finite tensors are never written.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SrnConfig } from '../config/types';
import { DEFAULT_CONFIG } from '../config/defaults';
import { mergeConfig, validateConfig, withoutRetiredFields } from '../config/resolve';
import type { SegHeadKind } from '../config/types';
import { SrnModel } from '../srn/model';
import { fsyncDir, writeFileAtomic, writeJsonAtomic } from '../util/atomic_write';
import { packFloat32, unpackFloat32 } from '../util/float32_pack';
import { keptPrefix, tempPrefix } from './checkpoint_names';
import { readJsonFile } from '../util/json_file';
import { faultPoint } from '../util/fault';
import type { DenseAdam, SparseAdam } from './adam';
import { NonFiniteError, firstNonFinite } from './non_finite';

/** Format 2 adds dtype and sha256 per tensor; format 1 (e.g. pretrained/cpu-chair-seed0) still loads, checked by size and shape only. */
export const CHECKPOINT_FORMAT = 'semantic-srn-checkpoint/2';
const READABLE_FORMATS = new Set(['semantic-srn-checkpoint/1', CHECKPOINT_FORMAT]);

/**
 * Bumped whenever the model's or the training's numerics change (layers, initialisation, losses, optimiser
 * arithmetic), so that weights made by older code are never taken for the current model's.
 * v2 (2026-12-07): the U-Net head's reflection padding got PyTorch's gradient (lib/srn/reflect_pad.ts); a stage
 * that trains no U-Net computes what v1 computed, so its v1 checkpoints still stand (SAME_SINCE).
 */
export const MODEL_CODE_VERSION = 2;

/** Per stage, the oldest model-code version whose checkpoints the current code computes alike. */
const SAME_SINCE: Record<string, number> = { pretrain: 1, probe: 1 };

/** Whether weights of model-code version `v` of `stage` are the current code's. */
export function modelCodeCurrent(stage: string, v: number): boolean {
  return v <= MODEL_CODE_VERSION && v >= (SAME_SINCE[stage] ?? MODEL_CODE_VERSION);
}

/** Why a `stage` checkpoint of model-code version `v` is stale (for plans and status lines), or undefined when current. */
export function modelCodeStale(stage: string, v: number | undefined): string | undefined {
  return modelCodeCurrent(stage, v ?? 0) ? undefined : `model code v${v ?? '?'}, this code v${MODEL_CODE_VERSION}`;
}

/** What a checkpoint was made with: the model code and the data (`synthetic-v<N>` or `external`). */
export interface CheckpointVersions {
  modelCode: number;
  data: string;
}

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Always 'float32' (absent in format 1). */
  dtype?: 'float32';
  /** Offset and length in float32 elements. */
  offset: number;
  length: number;
  /** Hex sha256 of the tensor's bytes (absent in format 1). */
  sha256?: string;
}

/** The tracking run a checkpoint was written under, so that a resumed run continues it. */
export interface CheckpointTracking {
  uri: string;
  runId: string;
}

export interface CheckpointManifest {
  format: string;
  stage: string;
  step: number;
  config: SrnConfig;
  numInstances: number;
  seed: number;
  heads: SegHeadKind[];
  latentStep: number;
  adamStep: number | null;
  tensors: TensorEntry[];
  savedAt: string;
  /** Absent in checkpoints written before versions were recorded. */
  versions?: CheckpointVersions;
  /** Written for shipping: no Adam or SparseAdam moments (loads with them reset). */
  weightsOnly?: boolean;
  tracking?: CheckpointTracking;
  extra?: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  dir: string;
  manifest: CheckpointManifest;
  /** Flat float32 data by tensor name (model weights, `latents`, `latents.m`, `latents.v`, `adam.m.*`, `adam.v.*`). */
  arrays: Map<string, { shape: number[]; data: Float32Array }>;
}

export interface SaveCheckpointInput {
  config: SrnConfig;
  model: SrnModel;
  stage: string;
  step: number;
  adam?: DenseAdam;
  /**
   * The trainer's SparseAdam over the model's codes: its moments are written as `latents.m` / `latents.v`, its
   * step as `latentStep`. Without one (e.g. a probe's checkpoint), those of a fresh optimiser: zeros, step 0.
   */
  latentAdam?: SparseAdam;
  /** The training data's version (`datasetVersion`); 'unknown' when not given. */
  dataVersion?: string;
  /**
   * The versions to record, for a copy of another checkpoint: its own (null: it recorded none). By default this
   * code's model version and `dataVersion`. A copy must never restamp old weights as this code's.
   */
  versions?: CheckpointVersions | null;
  /** Only what a model needs to run (for shipping): no Adam or SparseAdam moments. */
  weightsOnly?: boolean;
  tracking?: CheckpointTracking;
  extra?: Record<string, unknown>;
  /** Checkpoints kept: 1 (default) keeps only the newest; N keeps the N − 1 previous ones as `<dir>.step-<step>`. */
  keep?: number;
}

/**
 * Why a checkpoint cannot stand for a model of this code trained on data of `dataVersion`, or undefined
 * when it can. Unversioned checkpoints (written before versions were recorded) never match.
 */
export function versionMismatch(manifest: CheckpointManifest, dataVersion: string): string | undefined {
  const v = manifest.versions;
  if (!v) return `it records no model-code or data version (written before versions were recorded)`;
  const diffs: string[] = [];
  if (!modelCodeCurrent(manifest.stage, v.modelCode)) diffs.push(`model code v${v.modelCode} (this code is v${MODEL_CODE_VERSION}${v.modelCode < MODEL_CODE_VERSION ? `; a '${manifest.stage}' checkpoint of v${v.modelCode} computes otherwise` : ''})`);
  if (v.data !== dataVersion) diffs.push(`data '${v.data}' (this data is '${dataVersion}')`);
  return diffs.length ? `it was trained with ${diffs.join(' and ')}` : undefined;
}

let seq = 0;

function siblings(dir: string, prefix: string): string[] {
  const parent = dirname(dir);
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .filter((f) => f.startsWith(prefix))
    .map((f) => join(parent, f));
}

function stepOf(dir: string): number | undefined {
  try {
    const step = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { step?: unknown }).step;
    return typeof step === 'number' ? step : undefined;
  } catch {
    return undefined;
  }
}

export function saveCheckpoint(dir: string, input: SaveCheckpointInput): void {
  const { model } = input;
  const keep = input.keep ?? 1;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`saveCheckpoint: keep must be an integer ≥ 1, got ${keep}`);
  const items: { name: string; shape: number[]; data: Float32Array }[] = [];
  const weights = model.namedWeights();
  for (const [name, t] of Object.entries(weights)) items.push({ name, shape: t.shape, data: t.dataSync() as Float32Array });
  tf.dispose(Object.values(weights));
  const L = model.latents;
  const sparse = input.latentAdam;
  if (sparse && sparse.table !== L) throw new Error('saveCheckpoint: latentAdam is not the optimiser of the model\'s latent table');
  if (!input.weightsOnly) {
    items.push({ name: 'latents.m', shape: [L.count, L.dim], data: sparse?.m ?? new Float32Array(L.count * L.dim) });
    items.push({ name: 'latents.v', shape: [L.count, L.dim], data: sparse?.v ?? new Float32Array(L.count * L.dim) });
  }
  if (input.adam && !input.weightsOnly) {
    for (const [k, t] of input.adam.m) items.push({ name: `adam.m.${k}`, shape: t.shape, data: t.dataSync() as Float32Array });
    for (const [k, t] of input.adam.v) items.push({ name: `adam.v.${k}`, shape: t.shape, data: t.dataSync() as Float32Array });
  }
  // The guard before every write: a non-finite state must never replace the last good checkpoint.
  for (const it of items) {
    const i = firstNonFinite(it.data);
    if (i >= 0) {
      throw new NonFiniteError(input.stage, input.step, `tensor '${it.name}'`, it.data[i], `checkpoint not written, ${dir} keeps the last good one`);
    }
  }
  const { blob, entries: tensors } = packFloat32(items);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    stage: input.stage,
    step: input.step,
    config: input.config,
    numInstances: L.count,
    seed: model.seed,
    heads: [...model.heads.keys()],
    latentStep: input.weightsOnly ? 0 : (sparse?.step ?? 0),
    adamStep: input.adam && !input.weightsOnly ? input.adam.step : null,
    tensors,
    savedAt: new Date().toISOString(),
    ...(input.versions === null ? {} : { versions: input.versions ?? { modelCode: MODEL_CODE_VERSION, data: input.dataVersion ?? 'unknown' } }),
    ...(input.weightsOnly ? { weightsOnly: true } : {}),
    ...(input.tracking ? { tracking: input.tracking } : {}),
    extra: input.extra,
  };
  const parent = dirname(dir);
  const tmp = join(parent, `${tempPrefix(dir)}${process.pid}-${seq++}`);
  rmSync(tmp, { recursive: true, force: true });
  writeFileAtomic(join(tmp, 'weights.bin'), blob);
  faultPoint('checkpoint:weights-written');
  writeJsonAtomic(join(tmp, 'manifest.json'), manifest);
  faultPoint('checkpoint:tmp-complete');
  // From here a complete, verifiable copy exists (tmp) until it is renamed into place.
  // A previous checkpoint with no weights left is not worth keeping as `.step-N`: it goes the `.old` way.
  const prevStep = existsSync(join(dir, 'weights.bin')) ? stepOf(dir) : undefined;
  const aside = keep > 1 && prevStep !== undefined ? join(parent, `${keptPrefix(dir)}${String(prevStep).padStart(9, '0')}`) : `${dir}.old`;
  rmSync(aside, { recursive: true, force: true });
  if (existsSync(dir)) {
    renameSync(dir, aside);
    fsyncDir(parent);
    faultPoint('checkpoint:old-moved');
  }
  renameSync(tmp, dir);
  fsyncDir(parent);
  faultPoint('checkpoint:renamed');
  rmSync(`${dir}.old`, { recursive: true, force: true });
  const kept = siblings(dir, keptPrefix(dir)).sort().reverse();
  for (const k of kept.slice(keep - 1)) rmSync(k, { recursive: true, force: true });
  // Temporaries of writers that crashed: the new checkpoint supersedes them.
  for (const t of siblings(dir, tempPrefix(dir))) rmSync(t, { recursive: true, force: true });
  fsyncDir(parent);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads and checks the manifest's fields (not the config, which mergeConfig/validateConfig check). */
function readManifest(mpath: string): CheckpointManifest {
  const m = readJsonFile(mpath, 'the checkpoint manifest', 'truncated or edited? ');
  if (!isObject(m)) throw new Error(`${mpath}: expected a JSON object`);
  if (typeof m.format !== 'string' || !READABLE_FORMATS.has(m.format)) {
    throw new Error(`${mpath}: format ${JSON.stringify(m.format)}, expected one of ${[...READABLE_FORMATS].map((f) => `'${f}'`).join(', ')}`);
  }
  const need = (field: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(m[field])) throw new Error(`${mpath}: field '${field}' is ${JSON.stringify(m[field]) ?? 'missing'}, expected ${what}`);
  };
  const nat = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  need('stage', (v) => typeof v === 'string', 'a stage name');
  need('step', nat, 'a non-negative integer');
  need('config', isObject, 'the run config (an object)');
  need('numInstances', nat, 'a non-negative integer');
  need('seed', (v) => typeof v === 'number' || typeof v === 'string', 'a seed');
  need('heads', (v) => Array.isArray(v) && v.every((h) => typeof h === 'string'), 'a list of head kinds');
  need('latentStep', nat, 'a non-negative integer');
  need('adamStep', (v) => v === null || nat(v), 'null or a non-negative integer');
  need('tensors', Array.isArray, 'the list of tensors');
  return m as unknown as CheckpointManifest;
}

/** Reads one checkpoint folder and verifies every tensor (shape, place, dtype, sha256); errors name the file and the tensor. */
export function readCheckpoint(dir: string): LoadedCheckpoint {
  const mpath = join(dir, 'manifest.json');
  const wpath = join(dir, 'weights.bin');
  if (!existsSync(mpath) && !existsSync(wpath)) throw new Error(`${dir}: no checkpoint (expected manifest.json and weights.bin)`);
  const manifest = readManifest(mpath);
  const hashed = manifest.format === CHECKPOINT_FORMAT;
  let buf: Buffer;
  try {
    buf = readFileSync(wpath);
  } catch (e) {
    throw new Error(`${wpath}: cannot read the checkpoint weights (${(e as Error).message})`);
  }
  // Sizes, places and hashes first: a truncated or corrupt file is named as such before any config error.
  const arrays = unpackFloat32(buf, manifest.tensors, { blobPath: wpath, listPath: mpath, hashed, requireDtype: hashed });
  // Manifest parsed and tensors whole: only now the config (unknown fields are errors, new ones take defaults).
  manifest.config = mergeConfig(DEFAULT_CONFIG, withoutRetiredFields(manifest.config), `${mpath}: config`);
  validateConfig(manifest.config);
  return { dir, manifest, arrays };
}

/**
 * The folders that may hold `dir`'s checkpoint: itself, `<dir>.old`, `<dir>.step-*` and the temporaries
 * of interrupted writes, each flagged `temporary` (an incomplete one is expected and not an error).
 */
export function checkpointCandidates(dir: string): { path: string; temporary: boolean }[] {
  const out = [dir, `${dir}.old`, ...siblings(dir, keptPrefix(dir))].filter((p) => existsSync(p)).map((path) => ({ path, temporary: false }));
  for (const t of siblings(dir, tempPrefix(dir))) if (statSync(t).isDirectory()) out.push({ path: t, temporary: true });
  return out;
}

/**
 * THE place that finds a checkpoint: the newest one (by step) among `dir`, `<dir>.old`, `<dir>.step-*`
 * and complete temporaries that verifies; undefined when none was ever written (or only an incomplete
 * temporary). Throws, listing each file's problem, when checkpoints exist but none verifies, so that a
 * corrupt checkpoint is never silently replaced by a fresh start.
 */
export function findCheckpoint(dir: string): LoadedCheckpoint | undefined {
  const candidates = checkpointCandidates(dir)
    .map((c) => ({ ...c, step: stepOf(c.path) ?? -1 }))
    .sort((a, b) => b.step - a.step || Number(a.temporary) - Number(b.temporary));
  const problems: string[] = [];
  for (const c of candidates) {
    try {
      return readCheckpoint(c.path);
    } catch (e) {
      if (!c.temporary) problems.push((e as Error).message);
    }
  }
  if (problems.length === 0) return undefined;
  throw new Error(`${dir}: no usable checkpoint:\n  ${problems.join('\n  ')}\n(move the folder away or start from scratch)`);
}

/** The newest verified checkpoint of `dir` (see findCheckpoint); throws when there is none. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const ck = findCheckpoint(dir);
  if (!ck) throw new Error(`${dir}: no checkpoint (expected manifest.json and weights.bin)`);
  return ck;
}

function required(ck: LoadedCheckpoint, name: string, shape: readonly number[]): Float32Array {
  const a = ck.arrays.get(name);
  const mpath = join(ck.dir, 'manifest.json');
  if (!a) throw new Error(`${mpath}: tensor '${name}' is missing (the model needs every weight; a checkpoint never loads partly)`);
  if (a.shape.join(',') !== shape.join(',')) throw new Error(`${mpath}: tensor '${name}' has shape [${a.shape.join(', ')}], the model expects [${shape.join(', ')}]`);
  return a.data;
}

/** Loads model weights and latent codes into an existing model; every weight must be present (optimiser state: restoreTrainingState). */
export function loadModelState(ck: LoadedCheckpoint, model: SrnModel): void {
  const current = model.namedWeights();
  const shapes = new Map(Object.entries(current).map(([k, t]) => [k, t.shape]));
  tf.dispose(Object.values(current));
  const weights: Record<string, tf.Tensor> = {};
  const mpath = join(ck.dir, 'manifest.json');
  try {
    for (const [name, shape] of shapes) weights[name] = tf.tensor(required(ck, name, shape), shape);
    for (const [name] of ck.arrays) {
      if (name.startsWith('adam.') || name === 'latents.m' || name === 'latents.v' || shapes.has(name)) continue;
      throw new Error(`${mpath}: tensor '${name}' is not a weight of this model (heads ${JSON.stringify([...model.heads.keys()])})`);
    }
    model.loadWeights(weights);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

/** Builds the model a checkpoint describes (config, table size, heads) and loads it. */
export function restoreModel(ck: LoadedCheckpoint | string): SrnModel {
  const c = typeof ck === 'string' ? loadCheckpoint(ck) : ck;
  const model = new SrnModel(c.manifest.config.model, { numInstances: c.manifest.numInstances, seed: c.manifest.seed, heads: c.manifest.heads });
  try {
    loadModelState(c, model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** The most a weights file kept in git may weigh (shipped pre-trainings and carried unfinished trainings). */
export const WEIGHTS_IN_GIT_MAX_BYTES = 30 * 2 ** 20;

/**
 * Writes `ck`'s model (weights and latent codes, no optimiser moments) to `dest` as a weights-only checkpoint of the
 * same stage, step and versions: what is shipped or carried between sittings in git.
 */
export function saveWeightsOnly(dest: string, ck: LoadedCheckpoint, extra?: Record<string, unknown>): void {
  const m = ck.manifest;
  const model = restoreModel(ck);
  try {
    saveCheckpoint(dest, { config: m.config, model, stage: m.stage, step: m.step, versions: m.versions ?? null, weightsOnly: true, extra });
  } finally {
    model.dispose();
  }
}

/** The trainer's optimisers, restored with the model when a stage resumes. */
export interface TrainerOptimisers {
  dense?: DenseAdam;
  /** The SparseAdam over `model.latents`. */
  latent?: SparseAdam;
}

/**
 * Restores the model and the trainer's optimisers for resuming a stage; returns the step to continue from.
 * A weights-only checkpoint (shipped) carries no optimiser state: the latent SparseAdam starts afresh.
 */
export function restoreTrainingState(ck: LoadedCheckpoint, model: SrnModel, opt: TrainerOptimisers = {}): number {
  const { dense: adam, latent } = opt;
  if (latent && latent.table !== model.latents) throw new Error('restoreTrainingState: the latent SparseAdam is not the optimiser of the model\'s latent table');
  for (const h of ck.manifest.heads) if (!model.heads.has(h)) model.addHead(h);
  loadModelState(ck, model);
  if (latent) {
    const L = model.latents;
    if (ck.manifest.weightsOnly) latent.reset();
    else latent.load({ step: ck.manifest.latentStep, m: required(ck, 'latents.m', [L.count, L.dim]), v: required(ck, 'latents.v', [L.count, L.dim]) });
  }
  if (adam) {
    const m: Record<string, tf.Tensor> = {};
    const v: Record<string, tf.Tensor> = {};
    for (const [name, a] of ck.arrays) {
      if (name.startsWith('adam.m.')) m[name.slice(7)] = tf.tensor(a.data, a.shape);
      if (name.startsWith('adam.v.')) v[name.slice(7)] = tf.tensor(a.data, a.shape);
    }
    try {
      const unpaired = [...Object.keys(m).filter((k) => !v[k]).map((k) => `adam.v.${k}`), ...Object.keys(v).filter((k) => !m[k]).map((k) => `adam.m.${k}`)];
      if (unpaired.length) throw new Error(`${join(ck.dir, 'manifest.json')}: tensor '${unpaired[0]}' is missing (Adam moments come in pairs)`);
      adam.load({ step: ck.manifest.adamStep ?? 0, m, v });
    } finally {
      tf.dispose([...Object.values(m), ...Object.values(v)]);
    }
  }
  return ck.manifest.step;
}
