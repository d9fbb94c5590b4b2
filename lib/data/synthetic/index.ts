// The built-in procedural dataset (spec/synthetic-data.md): part-labelled chairs and tables,
// ray-cast from primitives and written in the official on-disk format.
export * from './classes';
export {
  aabb,
  beam,
  box,
  boundingRadius,
  capsule,
  castRay,
  cylinder,
  cylinderBetween,
  intersectPrimitive,
  signedDistance,
  type Primitive,
  type PrimitiveKind,
  type Rgb,
} from './primitives';
export * from './object';
export * from './render';
export * from './generate';
export { buildChair, CHAIR_PROBABILITIES } from './chairs';
export { buildTable, TABLE_PROBABILITIES, type TableKind } from './tables';
export { COLOR_JITTER, MATERIAL_SCHEMES } from './sampling';
