/**
 * The 30-shot U-Net's dropout search on disk, one candidate at a time, so that a run stopped part-way (a session's
 * end, Ctrl-C) resumes at the next candidate instead of retraining the grid: a 64² sweep record trains three U-Nets
 * of 15-20 min each. Each candidate trains from its own seeds (trainFewShotUnet), so skipping finished ones gives the
 * same choice and weights. The folder holds `grid.json` (fingerprint, every finished candidate with its training
 * result, the best one's tensors with sha256) and that candidate's `best-<n>.bin`; the weights are written before the
 * JSON that names them, both atomically, so a crash leaves the previous state whole. A folder of another fingerprint,
 * or one that fails its checks, is set aside (renamed, never deleted) and the search starts afresh.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../util/atomic_write';
import { packFloat32, unpackFloat32, type PackedEntry } from '../util/float32_pack';
import { openFingerprintedDir } from '../util/fingerprinted_dir';

/** A finished candidate of the grid: its dropout and its training result (trainUnet2d's: history, validation, best step). */
export interface GridCandidate<R> {
  dropout: number;
  result: R;
}

interface GridDoc<R> {
  fingerprint: unknown;
  candidates: GridCandidate<R>[];
  best: { dropout: number; file: string; tensors: PackedEntry[] } | null;
}

export class UnetGridJournal<R extends { bestValMIOU: number | null }> {
  private doc: GridDoc<R>;
  private seq = 0;
  /** Where a folder of another fingerprint (or a damaged one) went; null when none was found. */
  readonly setAside: string | null;

  constructor(
    readonly dir: string,
    readonly fingerprint: unknown,
  ) {
    const opened = openFingerprintedDir<GridDoc<R>>(dir, 'grid.json', fingerprint, (doc) => {
      if (!Array.isArray(doc.candidates)) throw new Error('no candidates');
      if (doc.best) this.readBest(doc.best);
    });
    this.setAside = opened.setAside;
    this.doc = opened.doc ?? { fingerprint, candidates: [], best: null };
    this.seq = this.doc.best ? Number(/^best-(\d+)\.bin$/.exec(this.doc.best.file)?.[1] ?? 0) + 1 : 0;
  }

  /** Finished candidates, in the order they finished. */
  get candidates(): readonly GridCandidate<R>[] {
    return this.doc.candidates;
  }

  /** What a run opening this journal says: a folder set aside, the candidates it resumes with (of a grid of `gridSize`). */
  resumeLines(gridSize: number): string[] {
    const lines = this.setAside ? [`set aside a dropout search of another configuration: ${this.setAside}`] : [];
    const c = this.doc.candidates;
    if (c.length) lines.push(`dropout search resumed at ${c.length} of ${gridSize} candidates: ${c.map((x) => `p=${x.dropout} val mIOU ${(100 * (x.result.bestValMIOU ?? 0)).toFixed(1)}%`).join(', ')} (${this.dir})`);
    return lines;
  }

  /** The dropout whose weights are stored (the best on validation so far), or null. */
  get bestDropout(): number | null {
    return this.doc.best?.dropout ?? null;
  }

  /** The stored best candidate's tensors by name (verified against their sha256); dispose them after use. */
  bestWeights(): Record<string, tf.Tensor> {
    if (!this.doc.best) throw new Error(`${join(this.dir, 'grid.json')}: no candidate's weights are stored`);
    const arrays = this.readBest(this.doc.best);
    return Object.fromEntries([...arrays].map(([name, t]) => [name, tf.tensor(t.data, t.shape, 'float32')]));
  }

  /**
   * Records a finished candidate; `weights` (the net's variables by name) when it is the new best, which replaces the
   * stored weights. Non-finite weights are refused: the last good state stays.
   */
  add(candidate: GridCandidate<R>, weights?: Record<string, tf.Tensor>): void {
    let best = this.doc.best;
    const old = best?.file;
    if (weights) {
      const items = Object.entries(weights).map(([name, t]) => ({ name, shape: t.shape, data: t.dataSync() as Float32Array }));
      for (const it of items) {
        if (!it.data.every(Number.isFinite)) throw new Error(`${this.dir}: tensor '${it.name}' of the U-Net with dropout ${candidate.dropout} is not finite; its weights are not written`);
      }
      const { blob, entries: tensors } = packFloat32(items);
      const file = `best-${this.seq++}.bin`;
      mkdirSync(this.dir, { recursive: true });
      writeFileAtomic(join(this.dir, file), blob);
      best = { dropout: candidate.dropout, file, tensors };
    }
    const doc: GridDoc<R> = { fingerprint: this.fingerprint, candidates: [...this.doc.candidates, candidate], best };
    writeFileAtomic(join(this.dir, 'grid.json'), JSON.stringify(doc));
    this.doc = doc;
    if (old && old !== best?.file) rmSync(join(this.dir, old), { force: true });
  }

  /** Removes the folder (its record is journalled elsewhere). */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private readBest(best: NonNullable<GridDoc<R>['best']>): Map<string, { shape: number[]; data: Float32Array }> {
    return unpackFloat32(readFileSync(join(this.dir, best.file)), best.tensors, { blobPath: join(this.dir, best.file), listPath: join(this.dir, 'grid.json') });
  }
}

/**
 * The finished candidates a `grid.json` lists (dropout, best val mIOU), read without verifying or setting anything
 * aside: for status reports and plans. Undefined when the file is missing or not a journal.
 */
export function peekGridCandidates(file: string): { dropout: number; bestValMIOU: number | null }[] | undefined {
  try {
    const c = (JSON.parse(readFileSync(file, 'utf8')) as { candidates?: unknown })?.candidates;
    if (!Array.isArray(c)) return undefined;
    return c.map((x: { dropout?: unknown; result?: { bestValMIOU?: unknown } }) => ({
      dropout: Number(x?.dropout),
      bestValMIOU: typeof x?.result?.bestValMIOU === 'number' ? x.result.bestValMIOU : null,
    }));
  } catch {
    return undefined;
  }
}
