/**
 * One trainer per checkpoint: a lease file, created exclusively, naming the process that holds it. Two processes
 * training the same cached stage (a notebook beside a CLI run) would overwrite each other's checkpoints and double
 * the hours; the second one is refused at once instead, naming the first. A lease left by a process that died on
 * this machine is taken over; one from another machine (a shared folder) cannot be checked and is named instead.
 */
import { openSync, closeSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { processAlive } from './process';

export interface Lease {
  file: string;
  /** Removes the lease file if it is still this process's (idempotent). */
  release(): void;
}

/** Who holds a lease file: every lease kind names a pid; `host` is absent only in leases written before it was kept. */
export interface LeaseHolder {
  pid: number;
  host?: string | null;
}

interface Holder extends LeaseHolder {
  host: string;
  startedAt: string;
  command: string;
  /** The folder it ran in (relative paths of its command are from there); absent in locks written before. */
  cwd?: string;
}

/** The command line a lease records, so that `semantic-srn status` can say what resumes a stopped process. */
export function leaseCommand(): { command: string; cwd: string } {
  return { command: process.argv.slice(1).join(' ').slice(0, 300), cwd: process.cwd() };
}

/**
 * The one liveness rule for every lease (training locks, tracking-run.json, `semantic-srn status`): a pid is only
 * checked on the machine that wrote it; a lease from another machine (a shared or copied folder) is `elsewhere`,
 * neither taken over nor shown as working here. A lease without a host is taken to be this machine's.
 */
export function holderState(h: LeaseHolder): 'running' | 'gone' | 'elsewhere' {
  if (typeof h.host === 'string' && h.host !== hostname()) return 'elsewhere';
  return processAlive(h.pid) ? 'running' : 'gone';
}

/** A torn lease file (its writer died between create and write) is stale once this old. */
const TORN_STALE_MS = 60_000;

/** The holder a training lock names, or undefined when it is missing, torn or not a lock. */
export function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lease in `file` may be taken over: its holder died on this machine, or it is torn and old. */
function stale(file: string, holder: Holder | undefined): boolean {
  if (!holder) {
    try {
      return Date.now() - statSync(file).mtimeMs > TORN_STALE_MS;
    } catch {
      return true;
    }
  }
  return holderState(holder) === 'gone';
}

/**
 * Takes the lease `file` for `what` (words for the error), or throws naming the process that holds it. The caller
 * releases it in a `finally`; a process killed outright leaves a file the next caller on this machine takes over.
 */
export function acquireLease(file: string, what: string): Lease {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(file);
      if (attempt === 0 && stale(file, holder)) {
        rmSync(file, { force: true });
        continue;
      }
      const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}: ${holder.command}` : 'a process that has not written its name yet';
      const away = holder && holder.host !== hostname() ? ` It runs on another machine and cannot be checked from here: delete ${file} if nothing trains it.` : '';
      throw new Error(`${what} is being trained by another process (${who}). Wait for it to finish (its checkpoint is then reused) or stop it (Ctrl-C writes its checkpoint), then run this again.${away}`);
    }
    const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...leaseCommand() };
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        const h = readHolder(file);
        if (h && h.pid === process.pid && h.host === me.host && h.startedAt === me.startedAt) rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`${file}: could not take the lease for ${what}`);
}
