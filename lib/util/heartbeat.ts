/**
 * A long run's last words on disk: `<runs>/.progress/<pid>.json` holds its newest progress line and log message, so
 * that `semantic-srn status` can say where a background run is (step 8,728, not the checkpoint's 8,500) without its
 * terminal. Best effort: a failed write never stops a run; renamed into place, so a reader never sees half a file.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './process';

export interface Heartbeat {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  /** The newest progress line (a training's step, rate and ETA) and when it was written. */
  progress?: { line: string; at: string };
  /** The newest log message (e.g. a sweep's finished record). */
  message?: { line: string; at: string };
}

/** Progress is written at most this often; messages always. */
const MIN_INTERVAL_MS = 5000;

let file: string | undefined;
let beat: Heartbeat | undefined;
let lastWrite = 0;

/**
 * Starts this process's heartbeat under `<runsDir>/.progress/` (removed at a normal exit; a killed process leaves it
 * for status to show its last words) and clears the files of this machine's processes that are gone.
 */
export function startHeartbeat(runsDir: string): void {
  const dir = join(runsDir, '.progress');
  try {
    mkdirSync(dir, { recursive: true });
    for (const h of readHeartbeats(runsDir)) if (h.host === hostname() && h.pid !== process.pid && !processAlive(h.pid)) rmSync(join(dir, `${h.pid}.json`), { force: true });
  } catch {
    return;
  }
  file = join(dir, `${process.pid}.json`);
  beat = { pid: process.pid, host: hostname(), command: process.argv.slice(1).join(' '), startedAt: new Date().toISOString() };
  write();
  const own = file;
  process.once('exit', () => rmSync(own, { force: true }));
}

/** Records a progress line (throttled) or a log message (written at once), if a heartbeat was started. */
export function heartbeat(kind: 'progress' | 'message', line: string): void {
  if (!beat) return;
  beat[kind] = { line, at: new Date().toISOString() };
  if (kind === 'progress' && Date.now() - lastWrite < MIN_INTERVAL_MS) return;
  write();
}

function write(): void {
  if (!file || !beat) return;
  lastWrite = Date.now();
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(beat));
    renameSync(`${file}.tmp`, file);
  } catch {
    // best effort: the run matters, its heartbeat does not
  }
}

/** Every heartbeat under `<runsDir>/.progress/` that parses. */
export function readHeartbeats(runsDir: string): Heartbeat[] {
  const dir = join(runsDir, '.progress');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      const h = JSON.parse(readFileSync(join(dir, n), 'utf8')) as Heartbeat;
      return typeof h.pid === 'number' && typeof h.host === 'string' ? [h] : [];
    } catch {
      return [];
    }
  });
}
