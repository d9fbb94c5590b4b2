/**
 * Checkpoints: a directory holding `manifest.json` (config, stage, step, tensor index) and `weights.bin`
 * (every tensor as little-endian float32, concatenated): model weights, BatchNorm running stats, the latent
 * table with its SparseAdam moments and step, and the dense Adam moments and step.
 * Written atomically: the new checkpoint is built in a temporary sibling directory and renamed into
 * place; the previous one is moved aside first and removed only afterwards, and `loadCheckpoint` falls
 * back to it if a crash struck between the two renames.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SrnConfig } from '../config/types';
import { DEFAULT_CONFIG } from '../config/defaults';
import { mergeConfig, validateConfig, withoutRetiredFields } from '../config/resolve';
import type { SegHeadKind } from '../config/types';
import { SrnModel } from '../srn/model';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic_write';
import type { DenseAdam } from './adam';

export const CHECKPOINT_FORMAT = 'semantic-srn-checkpoint/1';

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset and length in float32 elements. */
  offset: number;
  length: number;
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
  extra?: Record<string, unknown>;
}

let seq = 0;

export function saveCheckpoint(dir: string, input: SaveCheckpointInput): void {
  const { model } = input;
  const items: { name: string; shape: number[]; data: Float32Array }[] = [];
  const weights = model.namedWeights();
  for (const [name, t] of Object.entries(weights)) items.push({ name, shape: t.shape, data: t.dataSync() as Float32Array });
  tf.dispose(Object.values(weights));
  const L = model.latents;
  items.push({ name: 'latents.m', shape: [L.count, L.dim], data: L.m });
  items.push({ name: 'latents.v', shape: [L.count, L.dim], data: L.v });
  if (input.adam) {
    for (const [k, t] of input.adam.m) items.push({ name: `adam.m.${k}`, shape: t.shape, data: t.dataSync() as Float32Array });
    for (const [k, t] of input.adam.v) items.push({ name: `adam.v.${k}`, shape: t.shape, data: t.dataSync() as Float32Array });
  }
  let total = 0;
  const tensors: TensorEntry[] = items.map((it) => {
    const e = { name: it.name, shape: it.shape, offset: total, length: it.data.length };
    total += it.data.length;
    return e;
  });
  const blob = new Float32Array(total);
  items.forEach((it, i) => blob.set(it.data, tensors[i].offset));
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    stage: input.stage,
    step: input.step,
    config: input.config,
    numInstances: L.count,
    seed: model.seed,
    heads: [...model.heads.keys()],
    latentStep: L.step,
    adamStep: input.adam ? input.adam.step : null,
    tensors,
    savedAt: new Date().toISOString(),
    extra: input.extra,
  };
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${seq++}`);
  const old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  writeFileAtomic(join(tmp, 'weights.bin'), new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength));
  writeJsonAtomic(join(tmp, 'manifest.json'), manifest);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const use = existsSync(join(dir, 'manifest.json')) ? dir : existsSync(join(`${dir}.old`, 'manifest.json')) ? `${dir}.old` : undefined;
  if (!use) throw new Error(`${dir}: no checkpoint (expected manifest.json and weights.bin)`);
  const mpath = join(use, 'manifest.json');
  const manifest = JSON.parse(readFileSync(mpath, 'utf8')) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`${mpath}: format '${manifest.format}', expected '${CHECKPOINT_FORMAT}'`);
  // Fields added to the config after a checkpoint was written take their defaults (they are all speed/run options).
  manifest.config = mergeConfig(DEFAULT_CONFIG, withoutRetiredFields(manifest.config), `${mpath}: config`);
  validateConfig(manifest.config);
  const buf = readFileSync(join(use, 'weights.bin'));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of manifest.tensors) {
    if (e.offset + e.length > all.length) throw new Error(`${join(use, 'weights.bin')}: tensor '${e.name}' runs past the end of the file`);
    arrays.set(e.name, { shape: e.shape, data: all.subarray(e.offset, e.offset + e.length) });
  }
  return { dir: use, manifest, arrays };
}

/** Loads model weights and latent state (values, moments, step) into an existing model. */
export function loadModelState(ck: LoadedCheckpoint, model: SrnModel): void {
  const weights: Record<string, tf.Tensor> = {};
  for (const [name, a] of ck.arrays) {
    if (name.startsWith('adam.') || name === 'latents.m' || name === 'latents.v') continue;
    weights[name] = tf.tensor(a.data, a.shape);
  }
  try {
    model.loadWeights(weights);
  } finally {
    tf.dispose(Object.values(weights));
  }
  const L = model.latents;
  L.m.set(ck.arrays.get('latents.m')!.data);
  L.v.set(ck.arrays.get('latents.v')!.data);
  L.step = ck.manifest.latentStep;
}

/** Builds the model a checkpoint describes (config, table size, heads) and loads it. */
export function restoreModel(ck: LoadedCheckpoint | string): SrnModel {
  const c = typeof ck === 'string' ? loadCheckpoint(ck) : ck;
  const model = new SrnModel(c.manifest.config.model, { numInstances: c.manifest.numInstances, seed: c.manifest.seed, heads: c.manifest.heads });
  loadModelState(c, model);
  return model;
}

/** Restores model, latent and Adam state for resuming a stage; returns the step to continue from. */
export function restoreTrainingState(ck: LoadedCheckpoint, model: SrnModel, adam?: DenseAdam): number {
  for (const h of ck.manifest.heads) if (!model.heads.has(h)) model.addHead(h);
  loadModelState(ck, model);
  if (adam) {
    const m: Record<string, tf.Tensor> = {};
    const v: Record<string, tf.Tensor> = {};
    for (const [name, a] of ck.arrays) {
      if (name.startsWith('adam.m.')) m[name.slice(7)] = tf.tensor(a.data, a.shape);
      if (name.startsWith('adam.v.')) v[name.slice(7)] = tf.tensor(a.data, a.shape);
    }
    adam.load({ step: ck.manifest.adamStep ?? 0, m, v });
    tf.dispose([...Object.values(m), ...Object.values(v)]);
  }
  return ck.manifest.step;
}
