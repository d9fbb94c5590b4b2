export * from './config';
export * from './layers';
export * from './tco';
export * from './tco_train';
export * from './unet2d';
export * from './unet_train';
export * from './run';
export * from './compare';
