export * from './adam';
export * from './data';
export * from './progress';
export * from './step';
export * from './stages';
export * from './checkpoint';
export * from './non_finite';
