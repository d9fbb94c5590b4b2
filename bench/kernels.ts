/**
 * wasm kernel benchmark: stock vs patched matMul forms (4096×256 @ 256×256), and the fused
 * dense+LayerNorm+ReLU op vs op-by-op LN. Prints JSON. Usage: npx tsx bench/kernels.ts [--threads N] [--quick]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend/select';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../lib/backend/wasm_kernels';
import { denseLayerNormRelu, layerNorm } from '../lib/backend/fused_dense';

const args = process.argv.slice(2);
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : undefined;
const quick = args.includes('--quick');

/** Median ms of `reps` runs of fn (after one warm-up); the result is read back to include the work. */
function time(fn: () => tf.Tensor | tf.Tensor[], reps: number): number {
  const once = () => {
    const t0 = performance.now();
    tf.tidy(() => {
      const r = fn();
      for (const t of Array.isArray(r) ? r : [r]) t.dataSync();
    });
    return performance.now() - t0;
  };
  once();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) ms.push(once());
  ms.sort((p, q) => p - q);
  return ms[Math.floor(ms.length / 2)];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const report = await selectBackend({ backend: 'wasm', wasmThreads: threads });
  const M = 4096;
  const K = 256;
  const N = 256;
  const a = tf.randomNormal([M, K]);
  const aT = tf.randomNormal([K, M]);
  const b = tf.randomNormal([K, N]);
  const bT = tf.randomNormal([N, K]);
  const ab = tf.randomNormal([4, 1024, K]);
  const bb = tf.randomNormal([4, K, N]);
  const gflop = (2 * M * K * N) / 1e9;
  const cases: Record<string, { fn: () => tf.Tensor | tf.Tensor[]; flop: number }> = {
    'a·b': { fn: () => tf.matMul(a, b), flop: gflop },
    'a·bᵀ': { fn: () => tf.matMul(a, bT, false, true), flop: gflop },
    'aᵀ·b': { fn: () => tf.matMul(aT, b, true, false), flop: gflop },
    'batched [4,1024,256]·[4,256,256]': { fn: () => tf.matMul(ab, bb), flop: gflop },
    'fwd+bwd 2-D': { fn: () => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]), flop: 3 * gflop },
    'fwd+bwd batched': { fn: () => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([ab, bb]), flop: 3 * gflop },
  };
  const matmul: Record<string, { stock: number; patched: number; speedup: number }> = {};
  for (const [name, c] of Object.entries(cases)) {
    uninstallWasmKernelFixes();
    const stockMs = time(c.fn, quick ? 1 : 2);
    installWasmKernelFixes();
    const patchedMs = time(c.fn, quick ? 3 : 7);
    matmul[name] = { stock: r3(c.flop / (stockMs / 1e3)), patched: r3(c.flop / (patchedMs / 1e3)), speedup: r3(stockMs / patchedMs) };
  }

  // Fused dense+LN+ReLU vs op-by-op, per-instance weights as in the SRN's phi layers.
  const layer: Record<string, Record<string, number>> = {};
  for (const H of [128, 256]) {
    const x = tf.randomNormal([4, 1024, H]);
    const W = tf.randomNormal([4, H, H], 0, 1 / Math.sqrt(H));
    const bias = tf.randomNormal([4, 1, H]);
    const plain = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.relu(layerNorm(tf.add(tf.matMul(p, q), r)));
    const fused = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => denseLayerNormRelu(p, q, r);
    const loss = (f: typeof plain) => (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(f(p, q, r));
    const reps = quick ? 3 : 9;
    layer[`H=${H}`] = {
      'op-by-op fwd ms': r3(time(() => plain(x, W, bias), reps)),
      'fused fwd ms': r3(time(() => fused(x, W, bias), reps)),
      'op-by-op fwd+bwd ms': r3(time(() => tf.grads(loss(plain))([x, W, bias]), reps)),
      'fused fwd+bwd ms': r3(time(() => tf.grads(loss(fused))([x, W, bias]), reps)),
    };
    tf.dispose([x, W, bias]);
  }
  tf.dispose([a, aT, b, bT, ab, bb]);
  const out = {
    backend: report.chosen,
    simd: report.wasm?.simd,
    threads: report.wasm?.threads,
    threadsReason: report.wasm?.threadsReason,
    'matMul GFLOP/s (4096×256 @ 256×256)': matmul,
    'dense+LN+ReLU [4,1024,H]·[4,H,H]': layer,
    numTensors: tf.memory().numTensors,
  };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
