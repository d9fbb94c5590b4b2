/**
 * Kernel fixes for the wasm backend (spec/backends.md §2). Each fix re-registers a kernel under the same
 * name, so model code is unchanged:
 * - BatchMatMul / _FusedMatMul: stock wasm uses XNNPACK only for un-transposed, un-batched products and
 *   runs a ~1 GFLOP/s scalar loop otherwise (every matMul gradient, every per-instance batched matMul).
 *   We materialise transposes, fold batches into rows or loop over heap views, and always call XNNPACK.
 * - UnsortedSegmentSum: missing on wasm; it is the gradient of tf.gather.
 * - Slice / SplitV: stock copies the whole input out of the heap (readSync) on every call.
 * - Sum over a non-last axis: stock transposes first; we accumulate rows instead.
 * - Identity: stock copies; we share the buffer (refcount), as Reshape already does.
 * Works whether or not the wasm backend is already initialised; installing twice is harmless.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, TypedArray } from '@tensorflow/tfjs';

// ---------------------------------------------------------------------------------------------
// The parts of tfjs-backend-wasm's BackendWasm we use (see its backend_wasm.d.ts).

interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

type CwrapFn = (...args: unknown[]) => unknown;

interface WasmModuleLike {
  HEAPU8: Uint8Array;
  cwrap(name: string, ret: string | null, args: string[]): CwrapFn;
  tfjs: { disposeData(id: number): void };
}

export interface WasmBackendLike {
  wasm: WasmModuleLike;
  dataIdMap: { get(dataId: object): WasmTensorData; has(dataId: object): boolean; delete(dataId: object): boolean };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

const BACKEND = 'wasm';
const PATCHED = Symbol.for('semantic-srn.wasmKernelFix');

/** Stock configs, captured once (before the first re-registration). */
const stock = new Map<string, KernelConfig>();

function stockKernel(name: string): KernelFunc {
  const cfg = stock.get(name);
  if (!cfg) throw new Error(`wasm_kernels: stock kernel '${name}' was not captured`);
  return cfg.kernelFunc;
}

function callKernel(name: string, args: KernelArgs): TensorInfo {
  // Stock kernels for anything we did not patch; patched ones are ours anyway (see below).
  const cfg = tf.getKernel(name, BACKEND);
  if (!cfg) throw new Error(`wasm_kernels: kernel '${name}' is not registered for wasm`);
  return cfg.kernelFunc(args as never) as TensorInfo;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * A tensor id that aliases `count` floats of an existing buffer, without owning them.
 * Released with releaseView (never backend.disposeData, which would free the parent's memory).
 */
function makeView(backend: WasmBackendLike, parent: TensorInfo, elemOffset: number, shape: number[]): TensorInfo {
  const base = backend.dataIdMap.get(parent.dataId).memoryOffset;
  return backend.makeOutput(shape, parent.dtype, base + elemOffset * 4);
}

function releaseView(backend: WasmBackendLike, view: TensorInfo): void {
  const d = backend.dataIdMap.get(view.dataId);
  // Unregisters the id in C++ (which also drops XNNPACK operators cached on it) without free().
  backend.wasm.tfjs.disposeData(d.id);
  backend.dataIdMap.delete(view.dataId);
}

function dispose(backend: WasmBackendLike, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}

// ---------------------------------------------------------------------------------------------
// BatchMatMul

/** The stock C++ entry point BatchMatMul(aId, aShape, aRank, bId, bShape, bRank, tA, tB, outId), per module. */
const mmFns = new WeakMap<object, CwrapFn>();
function wasmMatMulFn(backend: WasmBackendLike): CwrapFn {
  let fn = mmFns.get(backend.wasm);
  if (!fn) {
    fn = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    mmFns.set(backend.wasm, fn);
  }
  return fn;
}

const shapeBytes = (s: number[]): Uint8Array => new Uint8Array(new Int32Array(s).buffer);

/**
 * XNNPACK caches its packed right-hand operator by the right operand's tensor id (not its shape), until
 * that id is disposed. We remember the [K,N] each dataId was packed under; a buffer used as the right
 * operand under another [K,N] goes through a fresh view id instead, so a stale operator is never reused.
 */
const packedAs = new WeakMap<object, string>();

/** out[rows,N] = A[rows,K]·B[K,N] via XNNPACK; all three are float32 with the given element offsets. */
function xnnMatMul(backend: WasmBackendLike, A: TensorInfo, aOff: number, rows: number, K: number,
  B: TensorInfo, bOff: number, N: number, out: TensorInfo, outOff: number, keepBPacked: boolean): void {
  const fn = wasmMatMulFn(backend);
  const aView = aOff === 0 ? A : makeView(backend, A, aOff, [rows, K]);
  const key = `${K},${N}`;
  let bView = B;
  if (!keepBPacked || bOff !== 0 || (packedAs.has(B.dataId) && packedAs.get(B.dataId) !== key)) {
    bView = makeView(backend, B, bOff, [K, N]);
  } else {
    packedAs.set(B.dataId, key);
  }
  const outView = outOff === 0 ? out : makeView(backend, out, outOff, [rows, N]);
  const id = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).id;
  fn(id(aView), shapeBytes([1, rows, K]), 3, id(bView), shapeBytes([1, K, N]), 3, 0, 0, id(outView));
  if (aView !== A) releaseView(backend, aView);
  if (bView !== B) releaseView(backend, bView);
  if (outView !== out) releaseView(backend, outView);
}

/** [B, r, c] → [B, c, r], materialised by the wasm Transpose kernel. */
function transposeLast2(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  return callKernel('Transpose', { inputs: { x }, backend, attrs: { perm: [0, 2, 1] } });
}

/** For each output batch index, the flat batch index into an operand with (right-aligned) batch shape. */
function broadcastIndex(outBatch: number[], opBatch: number[]): (o: number) => number {
  const r = outBatch.length;
  const padded = new Array(r - opBatch.length).fill(1).concat(opBatch) as number[];
  const strides = new Array(r).fill(0) as number[];
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : s;
    s *= padded[i];
  }
  return (o: number) => {
    let idx = 0;
    for (let i = r - 1; i >= 0; i--) {
      const d = outBatch[i];
      idx += (o % d) * strides[i];
      o = Math.floor(o / d);
    }
    return idx;
  };
}

interface MMOperand {
  t: TensorInfo; // rank-3 view of the operand: [batch, rows, cols] as stored
  trans: boolean;
  batchShape: number[];
  batch: number;
}

/** Relative cost (≈ ns): transposes ~5/elem, XNNPACK weight packing ~12/elem (spec §2). */
function plainCost(L: MMOperand, R: MMOperand, m: number, k: number, n: number): number {
  let c = 0;
  if (L.trans) c += 5 * L.batch * m * k;
  if (R.trans) c += 5 * R.batch * k * n;
  const alreadyPacked = !R.trans && R.batch === 1 && packedAs.get(R.t.dataId) === `${k},${n}`;
  if (!alreadyPacked) c += 12 * R.batch * k * n;
  return c;
}

/** out[outBatch, m, n] = op(L)·op(R) with no transposed XNNPACK call. */
function plainMatMul(backend: WasmBackendLike, L: MMOperand, R: MMOperand, m: number, k: number, n: number,
  outBatch: number[]): TensorInfo {
  const temps: TensorInfo[] = [];
  const Lm = L.trans ? transposeLast2(backend, L.t) : L.t;
  if (L.trans) temps.push(Lm);
  const Rm = R.trans ? transposeLast2(backend, R.t) : R.t;
  if (R.trans) temps.push(Rm);
  const outB = sizeOf(outBatch);
  const out = backend.makeOutput([outB, m, n], 'float32');
  try {
    if (R.batch === 1) {
      // Fold L's batch into rows: one XNNPACK call (L.batch === outB here).
      xnnMatMul(backend, Lm, 0, L.batch * m, k, Rm, 0, n, out, 0, !R.trans);
    } else {
      const li = broadcastIndex(outBatch, L.batchShape);
      const ri = broadcastIndex(outBatch, R.batchShape);
      for (let o = 0; o < outB; o++) {
        xnnMatMul(backend, Lm, li(o) * m * k, m, k, Rm, ri(o) * k * n, n, out, o * m * n, false);
      }
    }
  } finally {
    for (const t of temps) dispose(backend, t);
  }
  return out;
}

/** The patched BatchMatMul: any transpose/batch/broadcast case through XNNPACK. */
function batchMatMulImpl(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean): TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ar = a.shape.length;
  const br = b.shape.length;
  if (ar < 2 || br < 2) return null;
  const M = tA ? a.shape[ar - 1] : a.shape[ar - 2];
  const Ka = tA ? a.shape[ar - 2] : a.shape[ar - 1];
  const Kb = tB ? b.shape[br - 1] : b.shape[br - 2];
  const N = tB ? b.shape[br - 2] : b.shape[br - 1];
  if (Ka !== Kb || M === 0 || N === 0 || Ka === 0) return null; // stock reports the error / handles empties
  const K = Ka;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  } catch {
    return null;
  }
  const aB = sizeOf(aBatchShape);
  const bB = sizeOf(bBatchShape);
  const a3: TensorInfo = { dataId: a.dataId, dtype: a.dtype, shape: tA ? [aB, K, M] : [aB, M, K] };
  const b3: TensorInfo = { dataId: b.dataId, dtype: b.dtype, shape: tB ? [bB, N, K] : [bB, K, N] };
  const A: MMOperand = { t: a3, trans: tA, batchShape: aBatchShape, batch: aB };
  const B: MMOperand = { t: b3, trans: tB, batchShape: bBatchShape, batch: bB };

  // Direct: out = op(a)·op(b). Swapped: outᵀ = op(b)ᵀ·op(a)ᵀ, then one transpose of the output.
  const direct = plainCost(A, B, M, K, N);
  const Bs: MMOperand = { ...B, trans: !tB };
  const As: MMOperand = { ...A, trans: !tA };
  const swapped = plainCost(Bs, As, N, K, M) + 5 * sizeOf(outBatch) * M * N;
  let out: TensorInfo;
  if (swapped < 0.7 * direct) {
    const outT = plainMatMul(backend, Bs, As, N, K, M, outBatch);
    out = transposeLast2(backend, outT);
    dispose(backend, outT);
  } else {
    out = plainMatMul(backend, A, B, M, K, N, outBatch);
  }
  out.shape = [...outBatch, M, N];
  return out;
}

function batchMatMulKernel(args: KernelArgs): TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const out = batchMatMulImpl(args.backend, a, b, !!transposeA, !!transposeB);
  return out ?? (stockKernel('BatchMatMul')(args as never) as TensorInfo);
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu', relu6: 'Relu6', sigmoid: 'Sigmoid', elu: 'Elu', leakyrelu: 'LeakyRelu', prelu: 'Prelu',
};

/**
 * _FusedMatMul (tf.fused.matMul, tf.layers dense): the stock kernel has the same scalar slow path for
 * transposed or batched inputs. Those go through the patched matMul, then bias and activation kernels.
 */
function fusedMatMulKernel(args: KernelArgs): TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as {
    transposeA: boolean; transposeB: boolean; activation: string; leakyreluAlpha?: number;
  };
  const backend = args.backend;
  const plain = !transposeA && !transposeB && sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1;
  const act = activation ?? 'linear';
  const actKernel = ACTIVATION_KERNELS[act];
  const supported = act === 'linear' || actKernel !== undefined;
  if (!supported) return stockKernel('_FusedMatMul')(args as never) as TensorInfo;
  if (plain) {
    // Already the XNNPACK path, unless b's buffer was packed under another [K,N] (stale cached operator).
    const key = `${b.shape[b.shape.length - 2]},${b.shape[b.shape.length - 1]}`;
    const prev = packedAs.get(b.dataId);
    if (prev === undefined || prev === key) {
      packedAs.set(b.dataId, key);
      return stockKernel('_FusedMatMul')(args as never) as TensorInfo;
    }
  }
  let out = batchMatMulImpl(backend, a, b, !!transposeA, !!transposeB);
  if (out == null) return stockKernel('_FusedMatMul')(args as never) as TensorInfo;
  if (bias != null) {
    const next = callKernel('Add', { inputs: { a: out, b: bias }, backend, attrs: {} });
    dispose(backend, out);
    out = next;
  }
  if (actKernel !== undefined) {
    const inputs: Record<string, TensorInfo> = act === 'prelu' ? { x: out, alpha: preluActivationWeights } : { x: out };
    const attrs: NamedAttrMap = act === 'leakyrelu' ? { alpha: leakyreluAlpha ?? 0.2 } : {};
    const next = callKernel(actKernel, { inputs, backend, attrs });
    dispose(backend, out);
    out = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum (gradient of gather)

function unsortedSegmentSumKernel(args: KernelArgs): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const numSegments = args.attrs.numSegments as number;
  const backend = args.backend;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm fix): expected float32 or int32 x, got ${x.dtype}`);
  }
  const segRank = segmentIds.shape.length;
  const inner = sizeOf(x.shape.slice(segRank));
  const n = sizeOf(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segRank)], x.dtype);
  // Views only after makeOutput: allocation can grow (and detach) the heap.
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  const xv = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // TF drops out-of-range ids
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xv[src + j];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Slice / SplitV

function sliceImpl(backend: WasmBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const total = sizeOf(size);
  if (total === 0) return out;
  const shape = x.shape;
  const rank = shape.length;
  // Innermost contiguous run: the trailing axes taken whole, plus the first partial one before them.
  let j = rank - 1;
  while (j > 0 && size[j] === shape[j] && begin[j] === 0) j--;
  let innerStride = 1;
  for (let i = j + 1; i < rank; i++) innerStride *= shape[i];
  const run = size[j] * innerStride;
  const strides = new Array(rank).fill(1) as number[];
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const idx = new Array(j).fill(0) as number[];
  let start = 0;
  for (let i = 0; i <= j; i++) start += begin[i] * strides[i];
  const runs = total / run;
  for (let r = 0, dst = 0; r < runs; r++, dst += run) {
    let off = start;
    for (let i = 0; i < j; i++) off += idx[i] * strides[i];
    ov.set(xv.subarray(off, off + run), dst);
    for (let i = j - 1; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function sliceKernel(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockKernel('Slice')(args as never) as TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x, args.attrs.begin as number[], args.attrs.size as number[]);
  return sliceImpl(args.backend, x, begin, size);
}

function splitVKernel(args: KernelArgs): TensorInfo[] {
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockKernel('SplitV')(args as never) as TensorInfo[];
  const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as never, args.attrs.numOrSizeSplits as number[] | number, axis);
  const begin = new Array(x.shape.length).fill(0) as number[];
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const part = sliceImpl(args.backend, x, begin.slice(), size);
    begin[axis] += s;
    return part;
  });
}

// ---------------------------------------------------------------------------------------------
// Sum over a contiguous block of axes that is not at the end: [P, Q, S] → [P, S], no transpose.

function sumKernel(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const backend = args.backend;
  if (x.dtype !== 'float32' || x.shape.length === 0) return stockKernel('Sum')(args as never) as TensorInfo;
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  const lo = axes[0];
  const hi = axes[axes.length - 1];
  const contiguous = axes.length > 0 && hi - lo + 1 === axes.length;
  if (!contiguous || hi === rank - 1) return stockKernel('Sum')(args as never) as TensorInfo;
  const P = sizeOf(x.shape.slice(0, lo));
  const Q = sizeOf(x.shape.slice(lo, hi + 1));
  const S = sizeOf(x.shape.slice(hi + 1));
  const outShape = keepDims ? x.shape.map((d, i) => (i >= lo && i <= hi ? 1 : d)) : x.shape.filter((_, i) => i < lo || i > hi);
  const out = backend.makeOutput(outShape, 'float32');
  if (P * S === 0) return out;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  const acc = new Float64Array(S); // double accumulator: long columns (Q ~ 4096) stay exact to float32
  for (let p = 0; p < P; p++) {
    acc.fill(0);
    let base = p * Q * S;
    for (let q = 0; q < Q; q++, base += S) {
      for (let s = 0; s < S; s++) acc[s] += xv[base + s];
    }
    ov.set(acc, p * S);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Identity: share the buffer.

function identityKernel(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockKernel('Identity')(args as never) as TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

// ---------------------------------------------------------------------------------------------

/** Names of the kernels this module replaces or adds. */
export const WASM_KERNEL_FIXES = ['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'Slice', 'SplitV', 'Sum', 'Identity'] as const;

const FIXES: Record<(typeof WASM_KERNEL_FIXES)[number], (args: KernelArgs) => TensorInfo | TensorInfo[]> = {
  BatchMatMul: batchMatMulKernel,
  _FusedMatMul: fusedMatMulKernel,
  UnsortedSegmentSum: unsortedSegmentSumKernel,
  Slice: sliceKernel,
  SplitV: splitVKernel,
  Sum: sumKernel,
  Identity: identityKernel,
};

/** True if the wasm kernel registered under `name` is one of ours. */
export function isKernelFixed(name: string): boolean {
  const cfg = tf.getKernel(name, BACKEND) as (KernelConfig & { [PATCHED]?: boolean }) | undefined;
  return Boolean(cfg?.[PATCHED]);
}

/**
 * Registers the fixes for the 'wasm' backend (importing the wasm package if needed). Idempotent; can run
 * before or after the backend is initialised (our kernels set up their own wasm bindings lazily).
 */
export function installWasmKernelFixes(): void {
  // Registers the stock wasm kernels (and the backend factory) if nobody has yet.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  for (const name of WASM_KERNEL_FIXES) {
    const current = tf.getKernel(name, BACKEND) as (KernelConfig & { [PATCHED]?: boolean }) | undefined;
    if (current?.[PATCHED]) continue;
    if (current) {
      stock.set(name, current);
      tf.unregisterKernel(name, BACKEND);
    }
    const cfg: KernelConfig & { [PATCHED]?: boolean } = {
      kernelName: name,
      backendName: BACKEND,
      kernelFunc: FIXES[name] as unknown as KernelFunc,
    };
    if (current?.setupFunc) cfg.setupFunc = current.setupFunc; // stock bindings our fallbacks call into
    cfg[PATCHED] = true;
    tf.registerKernel(cfg);
  }
}

/** Restores the stock kernels (for benchmarks and tests comparing stock vs patched). */
export function uninstallWasmKernelFixes(): void {
  for (const name of WASM_KERNEL_FIXES) {
    const current = tf.getKernel(name, BACKEND) as (KernelConfig & { [PATCHED]?: boolean }) | undefined;
    if (!current?.[PATCHED]) continue;
    tf.unregisterKernel(name, BACKEND);
    const orig = stock.get(name);
    if (orig) tf.registerKernel(orig);
  }
}
