/**
 * Process-level hook: on SIGINT/SIGTERM, end every open run as KILLED (so none stays RUNNING forever),
 * then re-raise the signal so the process exits with the usual status.
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

function onSignal(sig: NodeJS.Signals): void {
  if (handling) return; // second Ctrl-C while ending: let the next one through (listeners are gone)
  handling = true;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  const runs = [...open];
  const exit = () => process.kill(process.pid, sig);
  const timer = setTimeout(exit, SIGNAL_END_TIMEOUT_MS);
  void Promise.allSettled(runs.map((r) => r.end('KILLED'))).then(() => {
    clearTimeout(timer);
    exit();
  });
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
  if (installHandlers && !installed) {
    installed = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
}

export function untrackOpenRun(run: Endable): void {
  open.delete(run);
  // Without open runs our listeners would only delay the default exit: remove them.
  if (open.size === 0 && installed && !handling) {
    installed = false;
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
}
