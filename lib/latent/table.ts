/**
 * The auto-decoder's latent code table with PyTorch SparseAdam semantics (spec/reference.md §1.2,
 * pitfall 10). Values and moments live on the host as Float32Arrays: a step gathers the batch's rows
 * into a tensor and writes back only those rows, so rows outside the batch never move — neither their
 * values nor their moments — and no gather gradient (UnsortedSegmentSum, missing on wasm) is needed.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamConfig } from '../config/types';
import { DEFAULT_LATENT_ADAM } from '../config/defaults';
import { Rng } from '../util/random';

export interface LatentTableState {
  count: number;
  dim: number;
  values: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** SparseAdam's step counter: one for the whole table (bias correction), +1 per update. */
  step: number;
}

export class LatentTable {
  readonly values: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  constructor(readonly count: number, readonly dim: number, opts: { std?: number; seed?: number | string; rng?: Rng } = {}) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`LatentTable: count must be a positive integer, got ${count}`);
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`LatentTable: dim must be a positive integer, got ${dim}`);
    const rng = opts.rng ?? Rng.derive(opts.seed ?? 0, 'latents');
    this.values = rng.normalArray(count * dim, 0, opts.std ?? 0.01);
    this.m = new Float32Array(count * dim);
    this.v = new Float32Array(count * dim);
  }

  private checkRow(i: number): void {
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

  /** Fresh N(0, std²) values for the given rows (all rows when omitted), moments zeroed. */
  reinitialize(rng: Rng, std = 0.01, rows?: readonly number[]): void {
    const list = rows ?? Array.from({ length: this.count }, (_, i) => i);
    for (const r of list) {
      this.checkRow(r);
      this.values.set(rng.normalArray(this.dim, 0, std), r * this.dim);
      this.m.fill(0, r * this.dim, (r + 1) * this.dim);
      this.v.fill(0, r * this.dim, (r + 1) * this.dim);
    }
  }

  /**
   * One SparseAdam step. `grad` is [B, dim] for the batch rows `indices` (duplicates are summed first,
   * like PyTorch's coalesce). Only those rows change:
   *   m ← m + (1−β1)(g − m); v ← v + (1−β2)(g² − v);
   *   x ← x − lr·sqrt(1−β2^t)/(1−β1^t) · m / (sqrt(v) + eps)   (t = the table's global step).
   * The optimiser's settings are the trainer's (its stage config), passed per step; the table keeps only the
   * per-row moments, which travel with the rows in checkpoints.
   */
  applyGradients(indices: readonly number[], grad: ArrayLike<number>, adam: AdamConfig = DEFAULT_LATENT_ADAM): void {
    const d = this.dim;
    if (grad.length !== indices.length * d) throw new Error(`LatentTable.applyGradients: expected ${indices.length}×${d} gradient values, got ${grad.length}`);
    const summed = new Map<number, Float64Array>();
    indices.forEach((r, k) => {
      this.checkRow(r);
      let acc = summed.get(r);
      if (!acc) summed.set(r, (acc = new Float64Array(d)));
      for (let j = 0; j < d; j++) acc[j] += grad[k * d + j];
    });
    this.step += 1;
    const { lr, beta1, beta2, eps } = adam;
    const stepSize = (lr * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    for (const [r, g] of summed) {
      const o = r * d;
      for (let j = 0; j < d; j++) {
        const m = this.m[o + j] + (1 - beta1) * (g[j] - this.m[o + j]);
        const v = this.v[o + j] + (1 - beta2) * (g[j] * g[j] - this.v[o + j]);
        this.m[o + j] = m;
        this.v[o + j] = v;
        this.values[o + j] -= (stepSize * m) / (Math.sqrt(v) + eps);
      }
    }
  }

  state(): LatentTableState {
    return { count: this.count, dim: this.dim, values: this.values.slice(), m: this.m.slice(), v: this.v.slice(), step: this.step };
  }

  load(s: LatentTableState): void {
    if (s.count !== this.count || s.dim !== this.dim) {
      throw new Error(`LatentTable.load: state is ${s.count}×${s.dim}, table is ${this.count}×${this.dim}`);
    }
    this.values.set(s.values);
    this.m.set(s.m);
    this.v.set(s.v);
    this.step = s.step;
  }
}
