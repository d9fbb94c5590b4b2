/**
 * Whether an NVIDIA driver is on this machine, looked up without loading TensorFlow: a GPU build of tfjs-node,
 * once loaded, owns the process (a second libtensorflow cannot join it), so the ladder asks first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CudaDriverProbe {
  /** libcuda.so.1 (the driver's CUDA library) was found. */
  present: boolean;
  /** Where it was found, or why none was. */
  detail: string;
  /** `nvidia-smi`'s name, driver version and memory per GPU, when the tool is there. */
  gpus: string[];
}

/** Directories the dynamic loader searches besides its cache, as TensorFlow's dlopen("libcuda.so.1") would. */
function libraryDirs(): string[] {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [...fromEnv, '/usr/local/nvidia/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/local/cuda/compat'];
}

function ldCacheHas(name: string): boolean {
  try {
    return readFileSync('/etc/ld.so.cache').includes(name);
  } catch {
    return false;
  }
}

/** Lists the GPUs with nvidia-smi (empty when it is missing or fails). */
export function nvidiaSmiGpus(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

export function probeCudaDriver(): CudaDriverProbe {
  const lib = 'libcuda.so.1';
  const dir = libraryDirs().find((d) => existsSync(join(d, lib)));
  const where = dir ? join(dir, lib) : ldCacheHas(lib) ? `${lib} (ld.so.cache)` : undefined;
  if (!where) return { present: false, detail: `no NVIDIA driver: ${lib} is not in ld.so.cache, LD_LIBRARY_PATH or /usr/local/nvidia/lib64`, gpus: [] };
  return { present: true, detail: where, gpus: nvidiaSmiGpus() };
}
