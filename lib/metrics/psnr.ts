/**
 * PSNR as in spec/reference.md §6: on 4-channel RGBA mapped from [-1, 1] to [0, 1], with the prediction
 * clipped to [0, 1] (the target is in range by construction). Peak 1. One score per image; the
 * accumulator averages per-image scores (the released test.py's batch-element-0 bug is not reproduced).
 */

/** PSNR (dB) of one image; arrays in [-1, 1], equal lengths. Identical images give Infinity. */
export function psnr(pred: ArrayLike<number>, gt: ArrayLike<number>): number {
  if (pred.length !== gt.length) {
    throw new Error(`psnr: prediction has ${pred.length} values but ground truth has ${gt.length} (shapes must match)`);
  }
  if (gt.length === 0) throw new Error('psnr: empty image');
  let se = 0;
  for (let i = 0; i < gt.length; i++) {
    let p = (pred[i] + 1) * 0.5;
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    const g = (gt[i] + 1) * 0.5;
    const d = p - g;
    se += d * d;
  }
  if (!Number.isFinite(se)) throw new Error('psnr: non-finite values in prediction or ground truth');
  const mse = se / gt.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

export interface PsnrSummary {
  images: number;
  /** Mean of per-image PSNR (finite images only; NaN when none). */
  psnr: number;
  /** Images that matched exactly (PSNR = ∞), left out of the mean. */
  exact: number;
}

/** What `PsnrScores.toState` writes. */
export interface PsnrState {
  /** Sum of the finite per-image PSNRs. */
  sum: number;
  /** Per-image PSNR in order, null for an exact image. */
  imageScores: (number | null)[];
}

export class PsnrScores {
  private sum = 0;
  private finite = 0;
  private exact = 0;
  readonly imageScores: number[] = [];

  add(pred: ArrayLike<number>, gt: ArrayLike<number>): number {
    const v = psnr(pred, gt);
    this.imageScores.push(v);
    if (Number.isFinite(v)) {
      this.sum += v;
      this.finite++;
    } else this.exact++;
    return v;
  }

  /** Adds another accumulator's images (in order) to this one. */
  merge(other: PsnrScores): void {
    this.sum += other.sum;
    this.finite += other.finite;
    this.exact += other.exact;
    this.imageScores.push(...other.imageScores);
  }

  /** The accumulator as plain JSON (an exact image, PSNR ∞, written as null); `fromState` gives it back. */
  toState(): PsnrState {
    return { sum: this.sum, imageScores: this.imageScores.map((v) => (Number.isFinite(v) ? v : null)) };
  }

  static fromState(state: PsnrState, where = 'PsnrScores.fromState'): PsnrScores {
    if (!Number.isFinite(state?.sum) || !Array.isArray(state.imageScores) || !state.imageScores.every((v) => v === null || Number.isFinite(v))) {
      throw new Error(`${where}: expected { sum: number, imageScores: (number | null)[] }`);
    }
    const s = new PsnrScores();
    s.sum = state.sum;
    for (const v of state.imageScores) {
      s.imageScores.push(v ?? Infinity);
      if (v === null) s.exact++;
      else s.finite++;
    }
    return s;
  }

  summary(): PsnrSummary {
    return { images: this.finite + this.exact, psnr: this.finite ? this.sum / this.finite : NaN, exact: this.exact };
  }
}
