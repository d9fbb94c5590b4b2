// The main pipeline as library functions: data → pre-train (or reuse) → probe → fit → evaluate → report.
export * from './data';
export * from './few_shot';
export * from './srn_stages';
export * from './quickstart';
export * from './time_estimate';
