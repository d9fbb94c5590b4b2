/**
 * A baseline network's training on disk, so that a run stopped part-way (a session's end, Ctrl-C, a crash) goes on
 * from its last save instead of training again: the U-Nets save at every validation (the oracle U-Net of a 64² Table 1
 * row trains for ~35 min), TCO's pre-training every few hundred steps (~15 min at 64², hours at the paper's size). The
 * folder holds `state.json` (fingerprint, step, loss history, validations, the best one so far, the seconds spent, the
 * tensors with sha256) and the `state-<n>.bin` it names: the net's variables, Adam's moments and, when it differs
 * from the net, the best validation's weights. The trainings derive their data order and dropout masks from the seed
 * and the step, so a resumed run trains exactly as an uninterrupted one. The weights are written before the JSON that
 * names them, both atomically, so a crash leaves the previous state whole; non-finite tensors are refused. A folder
 * of other settings is set aside, never deleted.
 */
import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AdamState, DenseAdam } from '../training/adam';
import { writeFileAtomic } from '../util/atomic_write';
import { faultPoint } from '../util/fault';
import { openFingerprintedDir } from '../util/fingerprinted_dir';
import { packFloat32, unpackFloat32, type NamedFloat32, type PackedEntry } from '../util/float32_pack';
import { disposeRecord, type ParamSet } from './layers';

export const NET_TRAIN_CHECKPOINT_FORMAT = 'semantic-srn-net-train/1';

/** A training loop's state at a save (validations stay empty where the training has none). */
export interface NetTrainState {
  /** Training steps done, of `total`. */
  step: number;
  total: number;
  history: number[];
  validation: [number, number][];
  best: { miou: number; step: number } | null;
  /** Validations since the best one (early stopping's count). */
  sinceBest: number;
  /** Training seconds up to `step`, over every sitting. */
  seconds: number;
  /** Early stopping ended the training at `step` (a rerun trains nothing). */
  stoppedEarly?: boolean;
}

/** A saved training with nothing left to train (every step, or early-stopped): its rerun only restores it. */
export const trainingFinished = (s: Pick<NetTrainState, 'step' | 'total' | 'stoppedEarly'>): boolean => s.stoppedEarly === true || s.step >= s.total;

/** "step 400 of 1,000", or "step 600 of 1,000, finished (early-stopped)". */
export function savedStepText(s: Pick<NetTrainState, 'step' | 'total' | 'stoppedEarly'>): string {
  const at = `step ${s.step.toLocaleString('en')} of ${s.total.toLocaleString('en')}`;
  return trainingFinished(s) ? `${at}, finished${s.stoppedEarly ? ' (early-stopped)' : ''}` : at;
}

interface StateDoc extends NetTrainState {
  format: string;
  fingerprint: unknown;
  adamStep: number;
  file: string;
  tensors: PackedEntry[];
  savedAt: string;
}

/** What a resumed training loads: the net's variables, Adam's state and the best weights (null: the net's own). */
export interface RestoredNetTraining {
  state: NetTrainState;
  net: Record<string, tf.Tensor>;
  adam: AdamState;
  best: Record<string, tf.Tensor> | null;
}

const PREFIX = { net: 'net/', m: 'adam.m/', v: 'adam.v/', best: 'best/' } as const;

export class NetTrainCheckpoint {
  private doc: StateDoc | null;
  private seq: number;
  /** The tensors verified when the folder was opened, kept for the restore that follows it (read and hashed once). */
  private opened: Map<string, { shape: number[]; data: Float32Array }> | null = null;
  /** Where a folder of other settings (or a damaged one) went; null when none was found. */
  readonly setAside: string | null;

  constructor(
    readonly dir: string,
    readonly fingerprint: unknown,
  ) {
    const opened = openFingerprintedDir<StateDoc>(dir, 'state.json', fingerprint, (doc) => {
      if (doc.format !== NET_TRAIN_CHECKPOINT_FORMAT) throw new Error(`format ${JSON.stringify(doc.format)}`);
      this.opened = this.readTensors(doc);
    });
    this.setAside = opened.setAside;
    this.doc = opened.doc;
    this.seq = this.doc ? Number(/^state-(\d+)\.bin$/.exec(this.doc.file)?.[1] ?? 0) + 1 : 0;
  }

  /** The saved loop state (step, validations, seconds), or null when nothing is saved. */
  get saved(): NetTrainState | null {
    if (!this.doc) return null;
    const { step, total, history, validation, best, sinceBest, seconds, stoppedEarly } = this.doc;
    return { step, total, history, validation, best, sinceBest, seconds, ...(stoppedEarly ? { stoppedEarly } : {}) };
  }

  /** What a run opening this checkpoint of `what` (e.g. 'oracle U-Net') says: a folder set aside, where it resumes. */
  resumeLines(what: string): string[] {
    const lines = this.setAside ? [`set aside a saved ${what} training of another configuration: ${this.setAside}`] : [];
    const s = this.saved;
    if (s) lines.push(`${what}: resumed at ${savedStepText(s)}${s.best ? ` (best val mIOU ${(100 * s.best.miou).toFixed(1)}% at step ${s.best.step})` : ''}, ${s.seconds.toFixed(0)} s trained before (${this.dir})`);
    return lines;
  }

  /** The saved state with its tensors (verified against their sha256); the caller disposes every tensor. */
  restore(): RestoredNetTraining | null {
    if (!this.doc) return null;
    const arrays = this.opened ?? this.readTensors(this.doc);
    this.opened = null;
    const pick = (prefix: string) => {
      const out: Record<string, tf.Tensor> = {};
      for (const [name, t] of arrays) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = tf.tensor(t.data, t.shape, 'float32');
      return out;
    };
    const best = pick(PREFIX.best);
    return {
      state: this.saved!,
      net: pick(PREFIX.net),
      adam: { step: this.doc.adamStep, m: pick(PREFIX.m), v: pick(PREFIX.v) },
      best: Object.keys(best).length ? best : null,
    };
  }

  /**
   * Saves the loop state with the net's variables, Adam's moments and the best weights (`null` when they are the
   * net's own, as after a validation that improved). Throws on a non-finite tensor: the previous state stays.
   */
  save(state: NetTrainState, net: Record<string, tf.Tensor>, adam: { step: number; m: Map<string, tf.Tensor>; v: Map<string, tf.Tensor> }, best: Record<string, tf.Tensor> | null): void {
    const items: NamedFloat32[] = [];
    const add = (prefix: string, entries: Iterable<[string, tf.Tensor]>) => {
      for (const [name, t] of entries) items.push({ name: prefix + name, shape: t.shape, data: t.dataSync() as Float32Array });
    };
    add(PREFIX.net, Object.entries(net));
    add(PREFIX.m, adam.m);
    add(PREFIX.v, adam.v);
    if (best) add(PREFIX.best, Object.entries(best));
    for (const it of items) {
      if (!it.data.every(Number.isFinite)) throw new Error(`${this.dir}: tensor '${it.name}' is not finite at step ${state.step}; the training state is not written${this.doc ? ` (the one of step ${this.doc.step} stays)` : ''}`);
    }
    const { blob, entries: tensors } = packFloat32(items);
    const file = `state-${this.seq++}.bin`;
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(join(this.dir, file), blob);
    faultPoint('net-checkpoint:weights-written');
    const doc: StateDoc = { format: NET_TRAIN_CHECKPOINT_FORMAT, fingerprint: this.fingerprint, ...state, adamStep: adam.step, file, tensors, savedAt: new Date().toISOString() };
    writeFileAtomic(join(this.dir, 'state.json'), JSON.stringify(doc));
    const old = this.doc?.file;
    this.doc = doc;
    this.opened = null;
    if (old && old !== file) rmSync(join(this.dir, old), { force: true });
  }

  /**
   * Loads the saved training into `params` and `adam`; returns its loop state and best weights (null when they are the
   * net's own; the caller disposes them), or null when nothing is saved. A training of another length is refused.
   */
  resumeInto(params: ParamSet, adam: DenseAdam, total: number): { state: NetTrainState; best: Record<string, tf.Tensor> | null } | null {
    const saved = this.restore();
    if (!saved) return null;
    try {
      if (saved.state.total !== total) throw new Error(`${this.dir}: a training of ${saved.state.total} steps is saved there, this one has ${total} (its fingerprint should tell them apart)`);
      params.load(saved.net);
      adam.load(saved.adam);
    } catch (e) {
      if (saved.best) disposeRecord(saved.best);
      throw e;
    } finally {
      for (const r of [saved.net, saved.adam.m, saved.adam.v]) disposeRecord(r);
    }
    return { state: saved.state, best: saved.best };
  }

  /** Saves `params`' variables (trainable and state) and `adam` with the loop state; `best` as for save. */
  saveFrom(state: NetTrainState, params: ParamSet, adam: DenseAdam, best: Record<string, tf.Tensor> | null): void {
    this.save(state, Object.fromEntries([...params.trainable, ...params.state]), adam, best);
  }

  /** Removes the folder (the training's result is written elsewhere), and its parent when that is left empty. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.doc = null;
    this.opened = null;
    try {
      rmdirSync(dirname(this.dir));
    } catch {
      // not empty (another training's folder), or already gone
    }
  }

  private readTensors(doc: StateDoc): Map<string, { shape: number[]; data: Float32Array }> {
    if (!Array.isArray(doc.tensors) || typeof doc.file !== 'string') throw new Error(`${join(this.dir, 'state.json')}: no tensor list`);
    return unpackFloat32(readFileSync(join(this.dir, doc.file)), doc.tensors, { blobPath: join(this.dir, doc.file), listPath: join(this.dir, 'state.json') });
  }
}

/** The step, total steps, best validation and seconds a `state.json` records, read without verifying (for status reports). */
export function peekNetTrainState(file: string): { step: number; total: number; best: { miou: number; step: number } | null; seconds: number; stoppedEarly: boolean } | undefined {
  try {
    const d = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateDoc>;
    if (d?.format !== NET_TRAIN_CHECKPOINT_FORMAT || typeof d.step !== 'number' || typeof d.total !== 'number') return undefined;
    return { step: d.step, total: d.total, best: d.best ?? null, seconds: typeof d.seconds === 'number' ? d.seconds : 0, stoppedEarly: d.stoppedEarly === true };
  } catch {
    return undefined;
  }
}
