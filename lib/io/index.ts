export * from './npy';
export * from './png';
