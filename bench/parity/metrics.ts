/**
 * Per-step metrics of both sides in one shape. Theirs come from the line train.py prints every step
 * ("Iter %07d   Epoch %03d   L_img %0.4f   L_class …"), with the weighted loss terms; PSNR is derived the same
 * way on both sides from the batch's unweighted RGBA MSE on the [-1, 1] scale (their get_psnr is only run on a
 * validation set, which their training does not use by default): PSNR = 10·log10(2² / MSE).
 */

import { median } from '../../lib/metrics/stats';

export interface StepMetrics {
  /** 1-based step count (their `iter` + 1). */
  step: number;
  /** Weighted total loss. */
  loss: number;
  /** Unweighted image MSE (RGBA, [-1, 1]). */
  mse: number;
  psnr: number;
  /** Seconds since the previous step was reported (whole loop: data, forward, backward, logging). */
  seconds: number;
}

/** PSNR in dB of an MSE measured on the [-1, 1] scale (peak-to-peak 2). */
export function psnrFromMse(mse: number): number {
  if (!(mse > 0)) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10(4 / mse);
}

export interface TheirLine {
  iter: number;
  epoch: number;
  /** The weighted terms as printed. */
  img: number;
  cls: number;
  latent: number;
  depth: number;
}

const NUM = '([-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|nan|inf))';
const LINE = new RegExp(`^Iter (\\d+)\\s+Epoch (\\d+)\\s+L_img ${NUM}\\s+L_class ${NUM}\\s+L_latent ${NUM}\\s+L_depth ${NUM}\\s*$`);

/** One line of their stdout, or null when it is not a step line. */
export function parseTheirLine(line: string): TheirLine | null {
  const m = LINE.exec(line.trim());
  if (!m) return null;
  const f = (s: string) => (s === 'nan' ? NaN : s === 'inf' ? Infinity : Number(s));
  return { iter: Number(m[1]), epoch: Number(m[2]), img: f(m[3]), cls: f(m[4]), latent: f(m[5]), depth: f(m[6]) };
}

const PROBE_LINE = new RegExp(`^Iter (\\d+)\\s+Epoch (\\d+)\\s+L_class ${NUM}\\s*$`);

/** update.py's step line ("Iter %07d   Epoch %03d   L_class %0.4f": the weighted CE), or null. */
export function parseTheirProbeLine(line: string): { iter: number; epoch: number; cls: number } | null {
  const m = PROBE_LINE.exec(line.trim());
  if (!m) return null;
  return { iter: Number(m[1]), epoch: Number(m[2]), cls: m[3] === 'nan' ? NaN : m[3] === 'inf' ? Infinity : Number(m[3]) };
}

/** A step line with its arrival time (ms), as the runner records them. */
export interface TimedLine {
  t: number;
  line: string;
}

/**
 * Their steps from a timed stdout log. `imgWeight` is the --l1_weight the run used (to undo the weighting);
 * `startMs` is when the process started (the first step's time then includes start-up, as ours includes
 * compilation: the summary skips warm-up steps on both sides).
 */
export function theirSteps(lines: readonly TimedLine[], imgWeight: number, startMs: number): StepMetrics[] {
  if (!(imgWeight > 0)) throw new Error(`theirSteps: imgWeight must be > 0, got ${imgWeight}`);
  const out: StepMetrics[] = [];
  let prev = startMs;
  for (const { t, line } of lines) {
    const p = parseTheirLine(line);
    if (!p) continue;
    if (p.iter !== out.length) throw new Error(`their log: expected 'Iter ${String(out.length).padStart(7, '0')}', got iter ${p.iter} (two runs in one log?)`);
    const mse = p.img / imgWeight;
    out.push({ step: p.iter + 1, loss: p.img + p.cls + p.latent + p.depth, mse, psnr: psnrFromMse(mse), seconds: (t - prev) / 1000 });
    prev = t;
  }
  return out;
}

/** Their probe steps (loss = weighted CE; no image terms, so mse and psnr are NaN). */
export function theirProbeSteps(lines: readonly TimedLine[], startMs: number): StepMetrics[] {
  const out: StepMetrics[] = [];
  let prev = startMs;
  for (const { t, line } of lines) {
    const p = parseTheirProbeLine(line);
    if (!p) continue;
    if (p.iter !== out.length) throw new Error(`their probe log: expected iter ${out.length}, got ${p.iter}`);
    out.push({ step: p.iter + 1, loss: p.cls, mse: NaN, psnr: NaN, seconds: (t - prev) / 1000 });
    prev = t;
  }
  return out;
}

/** Serialises timed lines as `<ms>\t<line>` (the runner's stdout.tsv) and back. */
export function formatTimedLines(lines: readonly TimedLine[]): string {
  return lines.map((l) => `${l.t}\t${l.line}`).join('\n') + (lines.length ? '\n' : '');
}

export function parseTimedLines(text: string, source = 'stdout.tsv'): TimedLine[] {
  const out: TimedLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw === '') return;
    const tab = raw.indexOf('\t');
    const t = Number(raw.slice(0, tab));
    if (tab < 0 || !Number.isFinite(t)) throw new Error(`${source}:${i + 1}: expected '<milliseconds>\\t<line>', got '${raw.slice(0, 60)}'`);
    out.push({ t, line: raw.slice(tab + 1) });
  });
  return out;
}

export interface SideSummary {
  steps: number;
  /** Steps left out of the timing (start-up, first-call compilation). */
  warmup: number;
  medianStepSeconds: number | null;
  meanStepSeconds: number | null;
  /** Mean over the last min(50, n) steps (a single batch's PSNR is noisy). */
  finalLoss: number | null;
  finalPsnr: number | null;
}

const medianOrNull = (xs: readonly number[]) => (xs.length ? median(xs) : null);

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const round = (x: number | null, d = 4) => (x === null ? null : Number(x.toFixed(d)));

export function summarise(steps: readonly StepMetrics[], warmup: number): SideSummary {
  const timed = steps.slice(warmup).map((s) => s.seconds);
  const tail = steps.slice(-Math.min(50, steps.length));
  return {
    steps: steps.length,
    warmup: Math.min(warmup, steps.length),
    medianStepSeconds: round(medianOrNull(timed)),
    meanStepSeconds: round(mean(timed)),
    finalLoss: round(mean(tail.map((s) => s.loss))),
    finalPsnr: round(mean(tail.map((s) => s.psnr).filter(Number.isFinite)), 3),
  };
}

/** Trailing mean over `window` values (fewer at the start): a single batch's PSNR is noisy over long runs. */
export function rollingMean(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`rollingMean: window must be a positive integer, got ${window}`);
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}
