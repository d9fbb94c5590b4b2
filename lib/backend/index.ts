export * from './select';
export * from './wasm_kernels';
export * from './wasm_threads';
export * from './fused_dense';
export * from './native_ops';
