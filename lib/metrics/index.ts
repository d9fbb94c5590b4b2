export * from './segmentation';
export * from './psnr';
export * from './tensor';
export * from './stats';
