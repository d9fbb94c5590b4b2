/**
 * Picks the fastest TF.js backend that loads on this machine:
 * tfjs-node-gpu → tfjs-node → wasm → cpu. Override with `SRN_BACKEND` or the `backend` option.
 * Native packages are never hard dependencies (tfjs-node's installer downloads libtensorflow),
 * so they are probed with a dynamic require and skipped with the reason recorded.
 */
import * as tf from '@tensorflow/tfjs';
import { installWasmKernelFixes } from './wasm_kernels';

export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

export interface BackendOptions {
  /** Which backend to use; default `SRN_BACKEND` or 'auto'. */
  backend?: BackendChoice;
  /** wasm only: apply the kernel fixes of spec/backends.md (default true). */
  wasmKernelFixes?: boolean;
  /** Print the report to stderr (default false). */
  verbose?: boolean;
}

export interface BackendReport {
  /** What we chose, in our naming. */
  chosen: ConcreteBackend;
  /** The name TF.js knows it by (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Faster candidates that were skipped, and why. */
  skipped: { backend: ConcreteBackend; reason: string }[];
  wasm?: { simd: boolean; threads: number; kernelFixes: boolean };
}

const ORDER: ConcreteBackend[] = ['node-gpu', 'node', 'wasm', 'cpu'];
const NODE_PACKAGES: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let current: BackendReport | undefined;

/** Parses a backend name from user input, naming the source on error. */
export function parseBackendChoice(value: string, source = 'backend'): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: expected one of ${BACKEND_CHOICES.join(', ')}, got '${value}'`);
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

async function tryNode(kind: 'node-gpu' | 'node'): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(NODE_PACKAGES[kind]);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${NODE_PACKAGES[kind]} loaded but the 'tensorflow' backend failed to initialise`);
  return 'tensorflow';
}

async function tryWasm(opts: BackendOptions): Promise<BackendReport['wasm']> {
  // Side-effect import registers the 'wasm' backend factory.
  await import('@tensorflow/tfjs-backend-wasm');
  const fixes = opts.wasmKernelFixes ?? true;
  if (fixes) installWasmKernelFixes();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const wasmModule = await import('@tensorflow/tfjs-backend-wasm');
  return { simd, threads: wasmModule.getThreadsCount(), kernelFixes: fixes };
}

/**
 * Selects and initialises a backend. Calling it again with the same choice is cheap;
 * the report says which backend runs and why faster ones were skipped.
 */
export async function selectBackend(opts: BackendOptions = {}): Promise<BackendReport> {
  const envChoice = process.env.SRN_BACKEND;
  const choice: BackendChoice =
    opts.backend ?? (envChoice ? parseBackendChoice(envChoice, 'SRN_BACKEND') : 'auto');
  if (current && (choice === 'auto' || choice === current.chosen) && tf.getBackend() === current.tfBackend) {
    return current;
  }
  const candidates = choice === 'auto' ? ORDER : [choice];
  const skipped: BackendReport['skipped'] = [];
  for (const cand of candidates) {
    try {
      let report: BackendReport;
      if (cand === 'node-gpu' || cand === 'node') {
        report = { chosen: cand, tfBackend: await tryNode(cand), skipped };
      } else if (cand === 'wasm') {
        report = { chosen: cand, tfBackend: 'wasm', skipped, wasm: await tryWasm(opts) };
      } else {
        if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
        report = { chosen: 'cpu', tfBackend: 'cpu', skipped };
      }
      tf.enableProdMode();
      current = report;
      if (opts.verbose) console.error(describeBackend(report));
      return report;
    } catch (e) {
      skipped.push({ backend: cand, reason: errorText(e) });
    }
  }
  throw new Error(
    `no TF.js backend could be initialised (${choice}): ` +
      skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '),
  );
}

/** The report of the last selection, if any. */
export function currentBackend(): BackendReport | undefined {
  return current;
}

/** One line for logs and notebooks. */
export function describeBackend(r: BackendReport): string {
  const extra = r.wasm ? ` (simd=${r.wasm.simd}, threads=${r.wasm.threads}, kernel fixes=${r.wasm.kernelFixes})` : '';
  const why = r.skipped.length ? `; skipped ${r.skipped.map((s) => `${s.backend} [${s.reason}]`).join(', ')}` : '';
  return `backend: ${r.chosen}${extra}${why}`;
}
