/**
 * The baselines (lib/baselines: TCO, 2D U-Nets) as the experiments see them; entry points that the
 * area does not (yet) provide are reported with a reason instead of failing.
 */
// Static import: tslab notebooks cannot require() a TypeScript folder at run time.
import * as baselines from '../baselines';
import type { SweepUnetRequest } from '../baselines/sweep_unet';

/** What the sweep hands the U-Net (lib/baselines/sweep_unet.ts). */
export type SweepUnetArgs = SweepUnetRequest;

export interface BaselinesBridge {
  /** Why the baselines are unavailable (undefined when loaded). */
  reason?: string;
  /** Trains the U-Net on `train` and returns a predictor of the i-th evaluated test image's labels. */
  sweepUnet?: (args: SweepUnetArgs) => Promise<((i: number) => Int32Array) & { dropout?: number; resumedSeconds?: number }>;
  module?: Record<string, unknown>;
}

export async function loadBaselines(): Promise<BaselinesBridge> {
  const module = baselines as unknown as Record<string, unknown>;
  return { module, reason: typeof module.sweepUnet === 'function' ? undefined : 'lib/baselines has no sweepUnet entry point (U-Net sweep points skipped)', sweepUnet: module.sweepUnet as BaselinesBridge['sweepUnet'] };
}
