/**
 * The non-finite guard shared by the training stages and the checkpoint writer: a NaN/±Inf loss term or
 * parameter stops the work with the stage, the step and the term named, before anything is saved.
 */
import type { StepRecord } from './step';

export class NonFiniteError extends Error {
  constructor(
    readonly stage: string,
    /** 1-based step whose loss (or the parameters saved after it) went non-finite. */
    readonly step: number,
    /** The loss term (`img`, `ce`, `latent`, `depth`, `loss`) or `tensor '<name>'`. */
    readonly term: string,
    readonly value: number,
    detail = '',
  ) {
    super(`${stage}: ${term} is ${value} at step ${step}${detail ? `; ${detail}` : ''}`);
    this.name = 'NonFiniteError';
  }
}

/** Index of the first NaN/±Inf value, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

const TERMS = ['img', 'ce', 'latent', 'depth'] as const;

/** The first non-finite loss term of a step record (the weighted terms first, then the total), or undefined. */
export function nonFiniteTerm(rec: StepRecord): { term: string; value: number } | undefined {
  for (const t of TERMS) {
    const v = rec[t];
    if (v !== undefined && !Number.isFinite(v)) return { term: `loss term '${t}'`, value: v };
  }
  return Number.isFinite(rec.loss) ? undefined : { term: 'total loss', value: rec.loss };
}
