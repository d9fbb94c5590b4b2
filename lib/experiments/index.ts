// Experiments as data (experiments/*.json) and one function per experiment, shared by the CLI and notebooks.
export * from './types';
export * from './config_loader';
export * from './common';
export * from './gif';
export * from './semi_supervised_probe';
export * from './label_count_sweep';
export * from './interpolation';
export * from './mask_reconstruction';
export * from './table1';
export * from './baseline_experiments';
export * from './replicates';
export * from './registry';
