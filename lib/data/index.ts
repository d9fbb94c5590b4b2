export * from './types';
export * from './image_ops';
export * from './split';
export * from './view_loader';
export * from './sampler';
