export * from './cameras';
export * from './rays';
