/** Kernel fixes for the wasm backend (spec/backends.md §2). Filled in by the backend work. */
export function installWasmKernelFixes(): void {}
