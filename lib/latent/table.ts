/**
 * The auto-decoder's latent code table (spec/reference.md §1.2): one code per object, on the host as a
 * Float32Array. A training step gathers the batch's rows into a tensor and its optimiser (the trainer's
 * SparseAdam, lib/training/adam.ts) writes back only those rows, so no gather gradient (UnsortedSegmentSum,
 * missing on wasm) is needed. The table holds codes only: optimiser state is the trainer's.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';

export interface LatentTableState {
  count: number;
  dim: number;
  values: Float32Array;
}

export class LatentTable {
  readonly values: Float32Array;

  constructor(readonly count: number, readonly dim: number, opts: { std?: number; seed?: number | string; rng?: Rng } = {}) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`LatentTable: count must be a positive integer, got ${count}`);
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`LatentTable: dim must be a positive integer, got ${dim}`);
    const rng = opts.rng ?? Rng.derive(opts.seed ?? 0, 'latents');
    this.values = rng.normalArray(count * dim, 0, opts.std ?? 0.01);
  }

  /** Throws unless `i` is a row of this table. */
  checkRow(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new Error(`LatentTable: row ${i} outside [0, ${this.count})`);
  }

  /** Rows as a [B, dim] tensor (a copy; duplicates allowed). */
  rows(indices: readonly number[]): tf.Tensor2D {
    const out = new Float32Array(indices.length * this.dim);
    indices.forEach((r, k) => {
      this.checkRow(r);
      out.set(this.values.subarray(r * this.dim, (r + 1) * this.dim), k * this.dim);
    });
    return tf.tensor2d(out, [indices.length, this.dim]);
  }

  row(i: number): Float32Array {
    this.checkRow(i);
    return this.values.slice(i * this.dim, (i + 1) * this.dim);
  }

  setRow(i: number, values: ArrayLike<number>): void {
    this.checkRow(i);
    if (values.length !== this.dim) throw new Error(`LatentTable.setRow: expected ${this.dim} numbers, got ${values.length}`);
    this.values.set(values, i * this.dim);
  }

  /** Fresh N(0, std²) values for the given rows (all rows when omitted). */
  reinitialize(rng: Rng, std = 0.01, rows?: readonly number[]): void {
    const list = rows ?? Array.from({ length: this.count }, (_, i) => i);
    for (const r of list) {
      this.checkRow(r);
      this.values.set(rng.normalArray(this.dim, 0, std), r * this.dim);
    }
  }

  state(): LatentTableState {
    return { count: this.count, dim: this.dim, values: this.values.slice() };
  }

  load(s: LatentTableState): void {
    if (s.count !== this.count || s.dim !== this.dim) {
      throw new Error(`LatentTable.load: state is ${s.count}×${s.dim}, table is ${this.count}×${this.dim}`);
    }
    this.values.set(s.values);
  }
}
