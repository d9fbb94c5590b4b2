/** Progress reporting for long loops: a callback, and a default stderr line with rate, elapsed time and ETA. */
import { heartbeat } from '../util/heartbeat';

export interface ProgressInfo {
  stage: string;
  /** Units done so far (a resumed loop starts above 0). */
  step: number;
  total: number;
  /** What `step` counts, plural: 'steps', 'object-steps' (a latent fit of G objects per step advances G), 'objects'. */
  unit: string;
  /** Units per second over this run of the loop (resumed units excluded). */
  stepsPerSecond: number;
  etaSeconds: number;
  elapsedSeconds: number;
  loss?: number;
}

export type ProgressCallback = (p: ProgressInfo) => void;

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line, e.g. `[latent-fit] 760/3000 object-steps (25%) 3.10 object-steps/s, 4m05s elapsed, ETA 12m02s, loss 0.01234`. */
export function formatProgress(p: ProgressInfo): string {
  const pct = p.total > 0 ? ` (${((100 * p.step) / p.total).toFixed(0)}%)` : '';
  const rate = p.stepsPerSecond >= 10 ? p.stepsPerSecond.toFixed(0) : p.stepsPerSecond.toPrecision(3);
  const loss = p.loss !== undefined ? `, loss ${p.loss.toPrecision(4)}` : '';
  const eta = p.step >= p.total ? 'done' : `ETA ${formatDuration(p.etaSeconds)}`;
  return `[${p.stage}] ${p.step}/${p.total} ${p.unit}${pct} ${rate} ${p.unit}/s, ${formatDuration(p.elapsedSeconds)} elapsed, ${eta}${loss}`;
}

/**
 * The default reporter: plain lines on stderr (they read the same in a terminal and in a CI log), the
 * first report of each stage at once, then at most one every `minIntervalMs`, and the last one.
 */
export function stderrProgress(minIntervalMs = 2000): ProgressCallback {
  let last = 0;
  let stage = '';
  return (p) => {
    const now = Date.now();
    const first = p.stage !== stage;
    if (!first && now - last < minIntervalMs && p.step < p.total) return;
    stage = p.stage;
    last = now;
    const line = formatProgress(p);
    process.stderr.write(`${line}\n`);
    heartbeat('progress', line);
  };
}

/**
 * Tracks throughput over a loop and calls the reporter. `tick(position)` takes the units done so far (not a
 * count of calls), so a step that advances several units and a loop resumed at `firstStep` both get a true ETA.
 */
export class ProgressMeter {
  private readonly start = Date.now();
  constructor(
    private readonly stage: string,
    private readonly total: number,
    private readonly firstStep: number,
    private readonly report?: ProgressCallback,
    private readonly unit = 'steps',
  ) {}

  tick(step: number, loss?: number): void {
    if (!this.report) return;
    const secs = Math.max((Date.now() - this.start) / 1000, 1e-9);
    const info = progressInfo(this.stage, this.unit, step, this.total, step - this.firstStep, secs);
    this.report(loss !== undefined ? { ...info, loss } : info);
  }
}

/** Rate and ETA from `doneHere` units done in `elapsedSeconds` (units before this run of the loop excluded). */
export function progressInfo(stage: string, unit: string, step: number, total: number, doneHere: number, elapsedSeconds: number): ProgressInfo {
  const rate = doneHere > 0 ? doneHere / elapsedSeconds : 0;
  return { stage, unit, step, total, stepsPerSecond: rate, etaSeconds: rate > 0 ? Math.max(total - step, 0) / rate : Infinity, elapsedSeconds };
}
