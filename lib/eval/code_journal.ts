/**
 * Fitted test codes on disk, so that an interrupted evaluation or sweep refits nothing it had fitted (a 64² code fit
 * takes minutes an object). Keyed by what decides the codes — the caller's fingerprint (SRN weights, seed, fit
 * settings, observed views) and the split's objects —; a journal of another configuration is set aside.
 */
import { splitIdentity } from '../data/split';
import type { SplitInfo } from '../data/types';
import type { SrnConfig } from '../config/types';
import type { SrnModel } from '../srn/model';
import { RecordJournal } from '../util/record_journal';

interface FittedCode {
  position: number;
  id: string;
  code: number[];
  fitSeconds: number;
  /** The fit's loss per step, where the caller reports it (absent in journals written before). */
  losses?: number[];
  /**
   * A U-Net head's running statistics after the fit, where the fit updates them (a mask fit in the reference's train
   * mode): what later renders and fits of the same run read, so a resumed run restores them to match an uninterrupted one.
   */
  headState?: Record<string, number[]>;
}

/** What a fit leaves beside its code, journalled with it. */
export type FitExtras = Pick<FittedCode, 'losses' | 'headState'>;

export class CodeJournal {
  private readonly journal: RecordJournal<FittedCode>;

  constructor(
    path: string,
    fingerprint: unknown,
    private readonly split: SplitInfo,
  ) {
    this.journal = new RecordJournal<FittedCode>(path, { fit: fingerprint, objects: splitIdentity(split) }, (r) => String(r.position));
  }

  get path(): string {
    return this.journal.path;
  }

  /** How the file was found: 'resumed' (codes kept), 'set-aside' (`setAside` names where it went) or 'new'. */
  get opened() {
    return this.journal.opened;
  }

  get setAside(): string | null {
    return this.journal.setAside;
  }

  get size(): number {
    return this.journal.size;
  }

  /** The code fitted before for the object at this position of the split (float32 exactly as fitted). */
  get(position: number): ({ code: Float32Array; fitSeconds: number } & FitExtras) | undefined {
    const r = this.journal.get(String(position));
    if (!r || r.id !== this.split.instances[position]?.id) return undefined;
    if (!Array.isArray(r.code) || !r.code.every((v) => Number.isFinite(v))) throw new Error(`${this.path}: the code of object ${position} (${r.id}) is not a list of finite numbers`);
    return { code: Float32Array.from(r.code), fitSeconds: r.fitSeconds, ...(r.losses ? { losses: r.losses } : {}), ...(r.headState ? { headState: r.headState } : {}) };
  }

  /** Journals one finished fit (atomically; a fit stopped part-way must never be added), with what it left beside the code. */
  add(position: number, code: Float32Array, fitSeconds: number, extras: FitExtras = {}): void {
    // JSON numbers round-trip a float32 widened to double exactly.
    this.journal.add({ position, id: this.split.instances[position].id, code: Array.from(code), fitSeconds, ...extras });
  }

  remove(): void {
    this.journal.remove();
  }
}

/**
 * What decides a code fitted from RGB with the config's fit: the SRN's weights (heads too when the fit's loss uses
 * one), the seed (each object's init and rays) and the fit settings; the caller adds the observed views.
 */
export function codeFitFingerprint(config: SrnConfig, model: SrnModel, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { weights: model.digest({ heads: fitUsesHeads(config) }), seed: config.seed, latentFit: config.training.latentFit, ...extra };
}

/**
 * Whether a code fit's objective reads the segmentation heads, so that their weights decide the code: a fit to labels
 * (`target` other than RGB) or one whose loss weighs cross-entropy. An RGB fit keeps its codes across new probes.
 */
export function fitUsesHeads(config: SrnConfig, fit: { target?: string; weights?: { ce: number } } = {}): boolean {
  return (fit.target ?? 'rgb') !== 'rgb' || (fit.weights ?? config.training.latentFit.weights).ce !== 0;
}
