/** Progress reporting for long loops: a callback, and a default stderr line with step/s and ETA. */

export interface ProgressInfo {
  stage: string;
  step: number;
  total: number;
  stepsPerSecond: number;
  etaSeconds: number;
  loss?: number;
}

export type ProgressCallback = (p: ProgressInfo) => void;

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The default reporter: one line on stderr at most every `minIntervalMs`, and at the last step. */
export function stderrProgress(minIntervalMs = 2000): ProgressCallback {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < minIntervalMs && p.step < p.total) return;
    last = now;
    const loss = p.loss !== undefined ? ` loss ${p.loss.toPrecision(4)}` : '';
    process.stderr.write(`[${p.stage}] step ${p.step}/${p.total}${loss} ${p.stepsPerSecond.toFixed(2)} step/s ETA ${fmtTime(p.etaSeconds)}\n`);
  };
}

/** Tracks throughput over a loop and calls the reporter. */
export class ProgressMeter {
  private readonly start = Date.now();
  private done = 0;
  constructor(private readonly stage: string, private readonly total: number, private readonly firstStep: number, private readonly report?: ProgressCallback) {}

  tick(step: number, loss?: number): void {
    this.done += 1;
    if (!this.report) return;
    const secs = Math.max((Date.now() - this.start) / 1000, 1e-9);
    const rate = this.done / secs;
    this.report({ stage: this.stage, step, total: this.total, stepsPerSecond: rate, etaSeconds: (this.total - step) / rate, loss });
    void this.firstStep;
  }
}
