/**
 * Multi-threaded wasm in Node (spec/backends.md "Threads in Node"). Opt-in: stock tfjs-backend-wasm
 * turns threads off in Node (tfjs #3830): its pthread workers are created from blob: URLs, which
 * Node's Worker rejects. Before the backend initialises we
 * - subclass globalThis.Blob to see the two scripts tfjs builds (main module source, worker source),
 * - write them to a per-process folder under os.tmpdir() and let URL.createObjectURL return the file path,
 * - make os.cpus() report 2n cores during init (backend.cc sizes its pool as logical cores / 2),
 * - set WASM_HAS_MULTITHREAD_SUPPORT and setThreadsCount(n).
 * Everything is undone after init except createObjectURL, which only intercepts the blobs we tagged.
 * If anything fails the caller falls back to single-threaded wasm (see select.ts) with the reason.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const MAIN_MARK = 'var WasmBackendModuleThreadedSimd';
const WORKER_MARK = '"use strict";var Module={};var ENVIRONMENT_IS_NODE';
/** Free variables of the bundled threaded factory (rollup names in dist/tf-backend-wasm.node.js). */
const BUNDLE_GLOBALS = ['require$$0', 'require$$1', 'require$$3', 'require$$4', 'commonjsGlobal'];

export interface ThreadsPrep {
  /** Call after tf.setBackend('wasm') settled (success or not): restores Blob and os.cpus. */
  restore(): void;
  dir: string;
}

let tmpDir: string | undefined;
let cleanupHooked = false;

function processDir(): string {
  if (!tmpDir) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `semantic-srn-wasm-${process.pid}-`));
    if (!cleanupHooked) {
      cleanupHooked = true;
      process.once('exit', () => {
        try {
          if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      });
    }
  }
  return tmpDir;
}

/** Checks that the installed bundle still looks like what this workaround was written against. */
function checkBundle(): void {
  const file = require.resolve('@tensorflow/tfjs-backend-wasm');
  const src = fs.readFileSync(file, 'utf8');
  if (!src.includes(`"${MAIN_MARK} = " +`) && !src.includes(`'${MAIN_MARK} = ' +`)) {
    throw new Error(`${path.basename(file)} does not build '${MAIN_MARK}' blobs (tfjs-backend-wasm changed?)`);
  }
  for (const g of BUNDLE_GLOBALS) {
    if (!new RegExp(`var ${g.replace(/\$/g, '\\$')} = `).test(src)) throw new Error(`${path.basename(file)} has no '${g}' (tfjs-backend-wasm changed?)`);
  }
  // The threaded module looks for the worker file next to itself; check worker_threads loads.
  require('node:worker_threads');
}

/**
 * Prepares the globals so the next wasm backend initialisation is multi-threaded with `n` threads.
 * Throws (with a reason) if the environment does not allow it; the caller then stays single-threaded.
 */
export function prepareWasmThreads(n: number): ThreadsPrep {
  if (!Number.isInteger(n) || n < 2 || n > 4) throw new Error(`wasm threads: expected an integer 2..4, got ${n}`);
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('wasm threads: SharedArrayBuffer is not available');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmPkg = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  if (tf.engine().registry['wasm'] != null) throw new Error('wasm threads: the wasm backend is already initialised (threads must be set before)');
  checkBundle();
  const dir = processDir();
  const mainFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');

  const OrigBlob = globalThis.Blob;
  // The CommonJS module object (the ESM namespace is read-only); the same object the bundle's require('os') sees.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const osMod = require('node:os') as { cpus: typeof os.cpus };
  const origCpus = osMod.cpus;
  const tagged = new WeakMap<object, string>(); // blob → file it stands for
  const header =
    `var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os');` +
    `var commonjsGlobal=globalThis,__dirname=${JSON.stringify(dir)},__filename=${JSON.stringify(mainFile)},_scriptDir=__filename;\n`;

  class ScriptBlob extends OrigBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0] as unknown[] | undefined;
      const text = parts && parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : undefined;
      if (text?.startsWith(MAIN_MARK)) {
        fs.writeFileSync(mainFile, header + text);
        tagged.set(this, mainFile);
      } else if (text?.startsWith(WORKER_MARK)) {
        // tfjs already escaped the newlines for the blob, so the text is the worker's source as-is.
        fs.writeFileSync(workerFile, `URL.createObjectURL=()=>${JSON.stringify(mainFile)};URL.revokeObjectURL=()=>{};\n` + text);
        tagged.set(this, workerFile);
      }
    }
  }

  const origCreate = URL.createObjectURL;
  const patchedCreate = Object.assign(
    (obj: Blob) => {
      const file = tagged.get(obj);
      return file ?? origCreate.call(URL, obj);
    },
    { semanticSrnPatched: true },
  );

  globalThis.Blob = ScriptBlob as typeof Blob;
  if (!(URL.createObjectURL as { semanticSrnPatched?: boolean }).semanticSrnPatched) URL.createObjectURL = patchedCreate;
  const cpus = origCpus.call(osMod);
  const doubled = () => {
    const c = origCpus.call(osMod);
    return c.concat(c).slice(0, Math.max(2 * n, c.length));
  };
  if (cpus.length < 2 * n) osMod.cpus = doubled;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasmPkg.setThreadsCount(n);
  return {
    dir,
    restore() {
      globalThis.Blob = OrigBlob;
      osMod.cpus = origCpus;
    },
  };
}

/** Undoes the flag and thread count so a retry initialises single-threaded wasm. */
export function disableWasmThreads(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmPkg = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasmPkg.setThreadsCount(1);
}

/** Lets the process exit while idle pthread workers exist (they are otherwise ref'd by Node). */
export function unrefWasmWorkers(): void {
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { PThread?: { unusedWorkers?: { unref?: () => void }[]; runningWorkers?: { unref?: () => void }[] } } } | null;
  const pt = backend?.wasm?.PThread;
  for (const w of [...(pt?.unusedWorkers ?? []), ...(pt?.runningWorkers ?? [])]) w.unref?.();
}

/** Parses SRN_WASM_THREADS / the wasmThreads option: 0 or 1 = off, 2..4 = threads. */
export function parseWasmThreads(value: string, source = 'SRN_WASM_THREADS'): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 4) throw new Error(`${source}: expected an integer 0..4, got '${value}'`);
  return n;
}
