/** Random choices shared by the chair and table builders. */
import type { Rng } from '../../util/random';
import { PALETTE } from './classes';
import type { Rgb } from './primitives';

/** Share of objects painted one colour all over, so colour alone cannot give the parts away. */
export const SINGLE_COLOR_SHARE = 0.3;

/** Picks a key with the given probabilities (they should sum to 1). */
export function choose<T extends string>(rng: Rng, probs: Readonly<Record<T, number>>): T {
  const keys = Object.keys(probs) as T[];
  let u = rng.next();
  for (const k of keys) {
    u -= probs[k];
    if (u < 0) return k;
  }
  return keys[keys.length - 1];
}

/** A palette colour per part label (one shared colour for a share of objects). */
export function partColors(rng: Rng, labels: readonly number[]): Record<number, Rgb> {
  const out: Record<number, Rgb> = {};
  const single = rng.bool(SINGLE_COLOR_SHARE) ? rng.pick(PALETTE) : undefined;
  for (const l of labels) out[l] = single ?? rng.pick(PALETTE);
  return out;
}
