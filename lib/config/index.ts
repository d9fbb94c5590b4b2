export * from './types';
export * from './defaults';
export * from './resolve';
export * from './presets';
export * from './scales';
