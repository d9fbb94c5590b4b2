export * from './params';
export * from './ops';
export * from './unet';
export * from './heads';
export * from './model';
export * from './render';
