export * from './segmentation';
export * from './psnr';
export * from './tensor';
