/**
 * Run leases: a small JSON file naming the open run of a command's output folder, written when the run
 * starts and removed when it ends. A lease found at the next start means the last process died without
 * ending its run (kill -9, out of memory); the tracker then continues that run (a resumed training) or
 * marks it FAILED, so runs never stay RUNNING forever and a restart does not open a second, unlinked run.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { writeJsonAtomic } from '../util/atomic_write';
import { leaseCommand } from '../util/lease';

/** Tag holding why a run FAILED (e.g. the step and loss term that went NaN). */
export const FAILURE_TAG = 'semantic_srn.failure';
/** Tag recording when a run left RUNNING by a dead process was continued. */
export const RESUMED_TAG = 'semantic_srn.resumed_at';

export interface RunLease {
  /** The tracking URI the run lives under (the server's, even for a run that spilled). */
  uri: string;
  runId: string;
  /** True when the run lives only in the local spill store. */
  local: boolean;
  pid: number;
  /** The machine of `pid` (null in leases written before it was kept: taken to be this machine). */
  host: string | null;
  startedAt: string;
  /** The command line and folder of the process (null in leases written before they were kept). */
  command: string | null;
  cwd: string | null;
}

/** The lease in `file`, or undefined when there is none (or it is unreadable: a lease is best effort). */
export function readLease(file: string): RunLease | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const l = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunLease>;
    if (typeof l.uri !== 'string' || typeof l.runId !== 'string') return undefined;
    return { uri: l.uri, runId: l.runId, local: l.local === true, pid: Number(l.pid ?? 0), host: str(l.host), startedAt: String(l.startedAt ?? ''), command: str(l.command), cwd: str(l.cwd) };
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

// A lease whose process is still alive, or lives on another machine, is never taken over (lib/util/lease.ts).
export { holderState } from '../util/lease';

export function writeLease(file: string, lease: Pick<RunLease, 'uri' | 'runId' | 'local'>): void {
  writeJsonAtomic(file, { ...lease, pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...leaseCommand() });
}

export function removeLease(file: string): void {
  rmSync(file, { force: true });
}
