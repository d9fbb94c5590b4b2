// Public API of semantic-srn: re-exports only, grouped by area.

// backend
export * from './backend/select';

// utilities
export * from './util/random';
export * from './util/atomic_write';
