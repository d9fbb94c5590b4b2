/** Hex sha256 of a float32 array's bytes: what checkpoints and the U-Net grid journal record per tensor. */
import { createHash } from 'node:crypto';

export const float32Sha256 = (a: Float32Array): string => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
