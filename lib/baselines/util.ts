/** Small helpers shared by the baselines. */

/** Nearest-neighbour resize of a square label map (S·S) to side T; returns the input when T = S. */
export function nearestResizeLabels(labels: Int32Array, S: number, T: number): Int32Array {
  if (S === T) return labels;
  const out = new Int32Array(T * T);
  for (let y = 0; y < T; y++) {
    const sy = Math.min(S - 1, Math.floor(((y + 0.5) * S) / T));
    for (let x = 0; x < T; x++) out[y * T + x] = labels[sy * S + Math.min(S - 1, Math.floor(((x + 0.5) * S) / T))];
  }
  return out;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
