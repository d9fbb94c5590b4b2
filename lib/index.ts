// Public API of semantic-srn: re-exports only, grouped by area.

// backend
export * from './backend';

// utilities
export * from './util/random';
export * from './util/atomic_write';
export * from './tracking'; // experiment tracking (MLflow)

// geometry, io, data
export * from './geometry';
export * from './io';
export * from './data';
export * from './data/synthetic';
