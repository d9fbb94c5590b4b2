// Public API of semantic-srn: re-exports only, grouped by area.

// backend selection, wasm kernel fixes, fused layers
export * from './backend';

// geometry, file formats, datasets
export * from './geometry';
export * from './io';
export * from './data';
export * from './data/synthetic';

// the model and its training
export * from './config';
export * from './srn';
export * from './latent';
export * from './losses';
export * from './training';

// evaluation and visualisation
export * from './metrics';
export * from './eval';
export * from './viz';

// experiment tracking (MLflow)
export * from './tracking';

// notebooks: charts and results tables
export * from './plotting';
export * from './tables';

// utilities
export * from './util/random';
export * from './util/atomic_write';
