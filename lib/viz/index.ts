export * from './palette';
export * from './images';
export * from './figures';
export * from './ply';
