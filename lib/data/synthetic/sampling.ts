/** Random choices shared by the chair and table builders. */
import type { Rng } from '../../util/random';
import { PALETTE } from './classes';
import type { Rgb } from './primitives';

/**
 * How an object's colours are assigned. ShapeNet furniture is mostly one or two materials (a frame and
 * an upholstery or top), rarely one per part; a 2D network must not get the part boundaries from colour
 * alone (docs/synthetic-data.md).
 */
export const MATERIAL_SCHEMES = { single: 0.45, two: 0.4, perPart: 0.15 } as const;
export type MaterialScheme = keyof typeof MATERIAL_SCHEMES;

/** Per-channel spread of a material around its palette colour (real materials vary continuously). */
export const COLOR_JITTER = 0.12;

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

function material(rng: Rng): Rgb {
  const c = rng.pick(PALETTE);
  const vary = (v: number) => Math.max(0, Math.min(255, Math.round(v * (1 + COLOR_JITTER * (2 * rng.next() - 1)))));
  return [vary(c[0]), vary(c[1]), vary(c[2])];
}

/**
 * A colour per part label. `groups` splits the labels into the object's two materials (e.g. frame vs
 * upholstery); the scheme decides whether the object has one material, those two, or one per part.
 */
export function partColors(rng: Rng, groups: readonly (readonly number[])[]): Record<number, Rgb> {
  const scheme = choose(rng, MATERIAL_SCHEMES);
  const out: Record<number, Rgb> = {};
  const single = scheme === 'single' ? material(rng) : undefined;
  for (const group of groups) {
    const shared = single ?? (scheme === 'two' ? material(rng) : undefined);
    for (const l of group) out[l] = shared ?? material(rng);
  }
  return out;
}
