/**
 * The few-shot labelled images of the semi-supervised setting (reference §4.3: 10 objects × views 0, 1, 2,
 * every class present): one draw rule for SRN+linear, TCO+linear and the 30-shot U-Net, so that all three
 * see the same labels for a seed.
 */
import type { SrnConfig } from '../config/types';
import { FewShotCoverageError, selectFewShot, type FewShotSelection } from '../data/sampler';
import type { SplitInfo } from '../data/types';
import { loadView } from '../data/view_loader';
import type { ObservedView } from '../training/data';

export interface FewShotDraw {
  sel: FewShotSelection;
  /** View positions used in every chosen object. */
  views: number[];
  /** Side the class-presence rule was checked at (the probe's). */
  side: number;
  /** False when the all-classes rule was asked for but impossible on these objects and was dropped. */
  allClassesRule: boolean;
  /** Why the draw differs from the config (fewer objects than asked, rule dropped); recorded in results. */
  warnings: string[];
}

/**
 * Draws config.data.fewShot's labelled images from `train` at the probe side. Relaxes the all-classes rule only
 * when no draw can satisfy it (tiny runs) and caps the object count at the split size; both are reported.
 */
export function drawFewShot(config: SrnConfig, train: SplitInfo, onWarning?: (message: string) => void): FewShotDraw {
  const fs = config.data.fewShot;
  const side = config.training.probe.side;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    onWarning?.(m);
  };
  const instances = Math.min(fs.instances, train.instances.length);
  if (instances < fs.instances) warn(`few-shot: ${fs.instances} labelled objects asked for, the training split has ${train.instances.length}; using ${instances}`);
  const views = fs.views ? [...fs.views] : [0, 1, 2].slice(0, fs.viewsPerInstance);
  const o = { instances, views, seed: fs.seed, requireAllClasses: fs.allClassesPresent, side };
  try {
    return { sel: selectFewShot(train, o), views, side, allClassesRule: o.requireAllClasses, warnings };
  } catch (e) {
    // Only a draw that cannot cover every class is relaxed; a corrupt label map stays an error.
    if (!o.requireAllClasses || !(e instanceof FewShotCoverageError)) throw e;
    warn(`${(e as Error).message}; drawing the labelled images without the all-classes rule`);
    return { sel: selectFewShot(train, { ...o, requireAllClasses: false }), views, side, allClassesRule: false, warnings };
  }
}

/** Every view of a (subset) split as labelled observations at `side`, keyed by latent row. */
export function observedViews(info: SplitInfo, side: number): ObservedView[] {
  return info.instances.flatMap((inst, pos) =>
    inst.views.map((v, k) => ({ instanceIndex: inst.index, viewIndex: v.index ?? k, view: loadView(info, pos, k, side, { skipDepth: true }) })),
  );
}
