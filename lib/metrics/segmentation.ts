/**
 * Segmentation metrics exactly as spec/reference.md §6 (released `test.py` / `get_IOU_vals`):
 * - per-image IoU: classes 0..C−1 (background included); a class absent from both GT and prediction is
 *   skipped; the image score is the mean over the rest (1.0 when every class was skipped);
 *   mIOU = mean of the image scores, every image weighing the same;
 * - shape-mIOU: intersection and union pooled per class over all images and instances, zero-union
 *   classes dropped, mean over the remaining classes;
 * - per-class IoU: the pooled ratio per class (null where the pooled union is 0).
 * - shape-mIOU over present classes (an option, not the released protocol): the same mean, over the classes
 *   that occur in the split's ground truth only. Under the released protocol a class absent from every
 *   ground-truth image but predicted at even one pixel (e.g. a stray chair_head) counts with IoU 0 and can
 *   move shape-mIOU by a whole class's share (60.0 → 50.0 with 5 classes).
 * Host-side on typed arrays: one pass per image, no tensors.
 */

export interface ImageIoU {
  /** Mean IoU over the classes present in GT or prediction (1 when none is). */
  score: number;
  /** Per-class |GT ∩ P| for this image. */
  intersection: Float64Array;
  /** Per-class |GT ∪ P| for this image. */
  union: Float64Array;
}

function checkPair(pred: ArrayLike<number>, gt: ArrayLike<number>, numClasses: number, what: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`${what}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (pred.length !== gt.length) {
    throw new Error(`${what}: prediction has ${pred.length} pixels but ground truth has ${gt.length} (shapes must match)`);
  }
}

function outOfRange(which: string, what: string, index: number, value: number, numClasses: number): Error {
  return new Error(`${what}: ${which} label ${value} at pixel ${index} is outside 0..${numClasses - 1}`);
}

/**
 * Per-class intersection/union counts of one image, written into `inter`/`union` (added to them).
 * Returns the image's per-image IoU score (§6).
 */
export function accumulateImage(
  pred: ArrayLike<number>,
  gt: ArrayLike<number>,
  numClasses: number,
  inter: Float64Array,
  union: Float64Array,
  what = 'imageIoU',
): number {
  checkPair(pred, gt, numClasses, what);
  const predCount = new Float64Array(numClasses);
  const gtCount = new Float64Array(numClasses);
  const both = new Float64Array(numClasses);
  const n = gt.length;
  for (let i = 0; i < n; i++) {
    const p = pred[i];
    const g = gt[i];
    // The negated range test also rejects NaN; `(x | 0) === x` rejects fractional ids in float arrays.
    if (!(p >= 0 && p < numClasses && (p | 0) === p)) throw outOfRange('predicted', what, i, p, numClasses);
    if (!(g >= 0 && g < numClasses && (g | 0) === g)) throw outOfRange('ground-truth', what, i, g, numClasses);
    predCount[p]++;
    gtCount[g]++;
    if (p === g) both[p]++;
  }
  let sum = 0;
  let counted = 0;
  for (let c = 0; c < numClasses; c++) {
    const u = predCount[c] + gtCount[c] - both[c];
    inter[c] += both[c];
    union[c] += u;
    if (u === 0) continue; // absent from both: skipped
    sum += both[c] / u;
    counted++;
  }
  return counted === 0 ? 1 : sum / counted;
}

/** Per-image IoU of one label map pair (§6). */
export function imageIoU(pred: ArrayLike<number>, gt: ArrayLike<number>, numClasses: number): ImageIoU {
  const intersection = new Float64Array(numClasses);
  const union = new Float64Array(numClasses);
  const score = accumulateImage(pred, gt, numClasses, intersection, union, 'imageIoU');
  return { score, intersection, union };
}

export interface SegmentationSummary {
  /** Number of images added. */
  images: number;
  /** Mean of the per-image scores (NaN when no image was added). */
  mIOU: number;
  /** Mean over classes with non-zero pooled union of pooled intersection / union (NaN if none). */
  shapeMIOU: number;
  /** The same mean over the classes present in the ground truth only (NaN if none). */
  shapeMIOUPresent: number;
  /** Pooled ground-truth pixels per class id. */
  groundTruthPixels: number[];
  /** Pooled IoU per class id; null where the class never occurred in GT or prediction. */
  perClassIoU: (number | null)[];
  /** Pooled counts per class id. */
  intersection: number[];
  union: number[];
  /** Class names if given, else `class<i>`. */
  classNames: string[];
}

/** What `SegmentationScores.toState` writes: pooled counts per class id, the per-image scores and their sum. */
export interface SegmentationState {
  numClasses: number;
  intersection: number[];
  union: number[];
  groundTruthPixels: number[];
  scoreSum: number;
  imageScores: number[];
}

/**
 * Accumulator for the segmentation protocol: `add(pred, gt)` once per image, then `summary()`.
 * Label maps are flat arrays of class ids (any integer typed array or number[]).
 */
export class SegmentationScores {
  readonly numClasses: number;
  readonly classNames: string[];
  private readonly inter: Float64Array;
  private readonly uni: Float64Array;
  private readonly gtPixels: Float64Array;
  private scoreSum = 0;
  private count = 0;
  /** Per-image scores in the order added. */
  readonly imageScores: number[] = [];

  constructor(numClasses: number, classNames?: readonly string[]) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`SegmentationScores: numClasses must be a positive integer, got ${numClasses}`);
    }
    if (classNames && classNames.length !== numClasses) {
      throw new Error(`SegmentationScores: ${classNames.length} class names for ${numClasses} classes`);
    }
    this.numClasses = numClasses;
    this.classNames = classNames ? [...classNames] : Array.from({ length: numClasses }, (_, i) => `class${i}`);
    this.inter = new Float64Array(numClasses);
    this.uni = new Float64Array(numClasses);
    this.gtPixels = new Float64Array(numClasses);
  }

  /** Adds one image; returns its per-image IoU. Throws on size mismatch or out-of-range labels. */
  add(pred: ArrayLike<number>, gt: ArrayLike<number>): number {
    // Validate into scratch buffers first so a bad image leaves the totals untouched.
    const i = new Float64Array(this.numClasses);
    const u = new Float64Array(this.numClasses);
    const s = accumulateImage(pred, gt, this.numClasses, i, u, `SegmentationScores.add (image ${this.count})`);
    for (let c = 0; c < this.numClasses; c++) {
      this.inter[c] += i[c];
      this.uni[c] += u[c];
    }
    for (let p = 0; p < gt.length; p++) this.gtPixels[gt[p]]++;
    this.scoreSum += s;
    this.count++;
    this.imageScores.push(s);
    return s;
  }

  /** Merges another accumulator (same class count) into this one. */
  merge(other: SegmentationScores): void {
    if (other.numClasses !== this.numClasses) {
      throw new Error(`SegmentationScores.merge: ${other.numClasses} classes vs ${this.numClasses}`);
    }
    for (let c = 0; c < this.numClasses; c++) {
      this.inter[c] += other.inter[c];
      this.uni[c] += other.uni[c];
      this.gtPixels[c] += other.gtPixels[c];
    }
    this.scoreSum += other.scoreSum;
    this.count += other.count;
    this.imageScores.push(...other.imageScores);
  }

  get images(): number {
    return this.count;
  }

  /** The accumulator as plain JSON (for a journal that resumes an evaluation); `fromState` gives it back exactly. */
  toState(): SegmentationState {
    return {
      numClasses: this.numClasses,
      intersection: Array.from(this.inter),
      union: Array.from(this.uni),
      groundTruthPixels: Array.from(this.gtPixels),
      scoreSum: this.scoreSum,
      imageScores: [...this.imageScores],
    };
  }

  /** An accumulator with exactly this state; `where` names its source in errors (a journal file). */
  static fromState(state: SegmentationState, classNames?: readonly string[], where = 'SegmentationScores.fromState'): SegmentationScores {
    const C = state?.numClasses;
    const s = new SegmentationScores(C, classNames);
    const counts = ['intersection', 'union', 'groundTruthPixels'] as const;
    for (const k of counts) {
      const a = state[k];
      if (!Array.isArray(a) || a.length !== C || !a.every((v) => Number.isFinite(v) && v >= 0)) {
        throw new Error(`${where}: '${k}' must be ${C} non-negative counts`);
      }
    }
    if (!Array.isArray(state.imageScores) || !state.imageScores.every((v) => Number.isFinite(v))) throw new Error(`${where}: 'imageScores' must be finite numbers`);
    if (!Number.isFinite(state.scoreSum)) throw new Error(`${where}: 'scoreSum' must be a finite number`);
    s.inter.set(state.intersection);
    s.uni.set(state.union);
    s.gtPixels.set(state.groundTruthPixels);
    s.scoreSum = state.scoreSum;
    s.count = state.imageScores.length;
    s.imageScores.push(...state.imageScores);
    return s;
  }

  summary(): SegmentationSummary {
    const perClassIoU: (number | null)[] = [];
    let sum = 0;
    let kept = 0;
    let sumPresent = 0;
    let present = 0;
    for (let c = 0; c < this.numClasses; c++) {
      if (this.uni[c] === 0) {
        perClassIoU.push(null);
        continue;
      }
      const iou = this.inter[c] / this.uni[c];
      perClassIoU.push(iou);
      sum += iou;
      kept++;
      if (this.gtPixels[c] > 0) {
        sumPresent += iou;
        present++;
      }
    }
    return {
      images: this.count,
      mIOU: this.count === 0 ? NaN : this.scoreSum / this.count,
      shapeMIOU: kept === 0 ? NaN : sum / kept,
      shapeMIOUPresent: present === 0 ? NaN : sumPresent / present,
      groundTruthPixels: Array.from(this.gtPixels),
      perClassIoU,
      intersection: Array.from(this.inter),
      union: Array.from(this.uni),
      classNames: [...this.classNames],
    };
  }
}

/** Per-class IoU keyed by class name (null where the class never occurred). */
export function perClassByName(s: SegmentationSummary): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  s.classNames.forEach((name, c) => (out[name] = s.perClassIoU[c]));
  return out;
}
