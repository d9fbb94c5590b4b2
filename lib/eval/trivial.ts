/**
 * Trivial predictors for the quality bar (issue 3): "all background", and "majority part for every
 * foreground pixel" — the GT silhouette filled with the most frequent non-background class of the
 * training labels. They are scored by the same `SegmentationScores` code as the model.
 */

/** Every pixel background (class 0). */
export function allBackgroundLabels(gt: ArrayLike<number>): Int32Array {
  return new Int32Array(gt.length);
}

/** GT foreground pixels get `majorityClass`, background stays 0. */
export function majorityPartLabels(gt: ArrayLike<number>, majorityClass: number): Int32Array {
  const out = new Int32Array(gt.length);
  for (let i = 0; i < gt.length; i++) out[i] = gt[i] === 0 ? 0 : majorityClass;
  return out;
}

/** Per-class pixel counts over label maps. */
export function classPixelCounts(labelMaps: Iterable<ArrayLike<number>>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const m of labelMaps) {
    for (let i = 0; i < m.length; i++) {
      const c = m[i];
      if (!(c >= 0 && c < numClasses)) throw new Error(`classPixelCounts: label ${c} outside 0..${numClasses - 1}`);
      counts[c]++;
    }
  }
  return counts;
}

/** The most frequent non-background class (lowest id on ties); throws if there is no foreground. */
export function majorityForegroundClass(labelMaps: Iterable<ArrayLike<number>>, numClasses: number): number {
  const counts = classPixelCounts(labelMaps, numClasses);
  let best = -1;
  for (let c = 1; c < numClasses; c++) if (counts[c] > 0 && (best < 0 || counts[c] > counts[best])) best = c;
  if (best < 0) throw new Error('majorityForegroundClass: the training labels contain no foreground pixel');
  return best;
}
