/**
 * Process-level hook: on SIGINT/SIGTERM, first let registered work stop cleanly (a training stage finishes
 * its step and writes its checkpoint), then end every open run as KILLED (so none stays RUNNING forever),
 * then re-raise the signal so the process exits with the usual status. A second signal quits at once.
 */
import type { RunStatus } from './types';

interface Endable {
  end(status?: RunStatus): Promise<void>;
}

const open = new Set<Endable>();
let installed = false;
let handling = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
/** Longest we delay the exit to end runs (a down server must not keep a Ctrl-C'd process alive). */
export const SIGNAL_END_TIMEOUT_MS = 10_000;
/** Longest we wait for interrupted work to stop (one training step plus a checkpoint write). */
export const SIGNAL_SETTLE_TIMEOUT_MS = 120_000;

/** Work that a SIGINT/SIGTERM stops cleanly before the process exits. */
export interface Interruptible {
  /** Asks the work to stop (e.g. aborts the AbortSignal a training stage watches). */
  interrupt(): void;
  /** Settles once the work has stopped and saved what it keeps. */
  settled: Promise<unknown>;
}

const interruptibles = new Set<Interruptible>();

function withTimeout(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

function onSignal(sig: NodeJS.Signals): void {
  if (handling) return; // second Ctrl-C while ending: let the next one through (listeners are gone)
  handling = true;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  const work = [...interruptibles];
  for (const w of work) w.interrupt();
  const exit = () => process.kill(process.pid, sig);
  void withTimeout(Promise.allSettled(work.map((w) => w.settled)), SIGNAL_SETTLE_TIMEOUT_MS)
    .then(() => withTimeout(Promise.allSettled([...open].map((r) => r.end('KILLED'))), SIGNAL_END_TIMEOUT_MS))
    .then(exit);
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}

function maybeUninstall(): void {
  // Without open runs or work our listeners would only delay the default exit: remove them.
  if (open.size === 0 && interruptibles.size === 0 && installed && !handling) {
    installed = false;
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
}

/**
 * Until the returned function is called, a SIGINT/SIGTERM calls `work.interrupt()` and waits for
 * `work.settled` (at most SIGNAL_SETTLE_TIMEOUT_MS) before ending the open runs and exiting.
 */
export function registerInterruptible(work: Interruptible): () => void {
  interruptibles.add(work);
  installSignalHandlers();
  return () => {
    interruptibles.delete(work);
    maybeUninstall();
  };
}

// Like MLflow's atexit hook: a script that forgets `end()` still gets its buffered metrics sent and its
// runs ended FINISHED when the event loop drains (not on process.exit() or a crash).
let beforeExitInstalled = false;
function onBeforeExit(): void {
  const runs = [...open];
  if (runs.length) void Promise.allSettled(runs.map((r) => r.end('FINISHED')));
}

export function trackOpenRun(run: Endable, installHandlers: boolean): void {
  open.add(run);
  if (!beforeExitInstalled) {
    beforeExitInstalled = true;
    process.on('beforeExit', onBeforeExit);
  }
  if (installHandlers) installSignalHandlers();
}

export function untrackOpenRun(run: Endable): void {
  open.delete(run);
  maybeUninstall();
}

/**
 * Runs `fn` with an AbortSignal that the first SIGINT/SIGTERM aborts; the process exits once `fn` has
 * settled (e.g. a training stage has finished its step and written its checkpoint). For command-line jobs:
 * in a notebook kernel a signal must not end the process.
 */
export async function runInterruptibly<T>(fn: (signal: AbortSignal) => Promise<T>, onInterrupt?: () => void): Promise<T> {
  const ac = new AbortController();
  let done!: () => void;
  const settled = new Promise<void>((r) => (done = r));
  const release = registerInterruptible({
    interrupt: () => {
      onInterrupt?.();
      ac.abort();
    },
    settled,
  });
  try {
    return await fn(ac.signal);
  } finally {
    done();
    release();
  }
}
