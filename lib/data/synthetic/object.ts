/**
 * One generated object: its primitives (normalised like ShapeNet: bounding box centred at the origin
 * with diagonal 1, so it lies inside the sphere of radius `OBJECT_RADIUS`) and its instance id.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../../util/random';
import type { SplitName } from '../types';
import type { Vec3 } from '../../geometry/cameras';
import { buildChair } from './chairs';
import { buildTable } from './tables';
import type { SyntheticClass } from './classes';
import { aabb, translateScale, type Primitive } from './primitives';

/** Bumped whenever the shapes, cameras or rendering change: it is part of every stream label. */
export const GENERATOR_VERSION = 2;

/** Every object fits in this sphere around the origin (half the normalised bbox diagonal). */
export const OBJECT_RADIUS = 0.5;

export interface SyntheticObject {
  id: string;
  className: SyntheticClass;
  split: SplitName;
  index: number;
  primitives: Primitive[];
}

function streamLabel(seed: number, className: SyntheticClass, split: SplitName, index: number): string {
  return `semantic-srn/synthetic/v${GENERATOR_VERSION}/${seed}/${className}/${split}/${index}`;
}

/** 32 hex characters derived from (seed, class, split, index). */
export function instanceId(seed: number, className: SyntheticClass, split: SplitName, index: number): string {
  return createHash('sha256').update(streamLabel(seed, className, split, index)).digest('hex').slice(0, 32);
}

/** The independent random stream of one instance for a purpose ('shape', 'views', …). */
export function instanceRng(seed: number, className: SyntheticClass, split: SplitName, index: number, purpose: string): Rng {
  return Rng.derive(streamLabel(seed, className, split, index), purpose);
}

/** Centres the primitives' bounding box at the origin and scales its diagonal to 2·OBJECT_RADIUS. */
export function normalizeObject(prims: Primitive[]): Primitive[] {
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const p of prims) {
    const [a, b] = aabb(p);
    for (let i = 0; i < 3; i++) {
      lo[i] = Math.min(lo[i], a[i]);
      hi[i] = Math.max(hi[i], b[i]);
    }
  }
  const centre: Vec3 = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
  const diag = Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
  return prims.map((p) => translateScale(p, centre, (2 * OBJECT_RADIUS) / diag));
}

/** The object of instance `index` of a split: deterministic in its arguments. */
export function buildObject(seed: number, className: SyntheticClass, split: SplitName, index: number): SyntheticObject {
  const rng = instanceRng(seed, className, split, index, 'shape');
  const raw = className === 'chair' ? buildChair(rng) : buildTable(rng);
  return { id: instanceId(seed, className, split, index), className, split, index, primitives: normalizeObject(raw) };
}
