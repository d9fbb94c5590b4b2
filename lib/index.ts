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

// evaluation
export * from './metrics';
export * from './eval';

// baselines: TCO (+linear), the authors' 2D U-Net (oracle, 30-shot), SRN+U-Net
export * from './baselines';

// experiment tracking (MLflow)
export * from './tracking';

// figures, charts and results tables (notebooks and reports)
export * from './plotting';

// the pipeline: data → pre-train → probe → fit → evaluate → report
export * from './pipeline';

// experiments as data (experiments/*.json): one function per experiment, for the CLI and notebooks
export * from './experiments';

// utilities
export * from './util/random';
export * from './util/atomic_write';
