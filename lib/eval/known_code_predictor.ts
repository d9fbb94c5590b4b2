/**
 * A training object rendered from its own auto-decoded code, no fit: what a head reads from the SRN's features
 * when the code is as good as pre-training made it. Against the single-view test score, it separates what the
 * features and the head can do (this) from what fitting a code to one view loses.
 */
import type { SegHeadKind, SrnConfig } from '../config/types';
import type { SrnModel } from '../srn/model';
import { renderViews } from '../srn/render';
import type { ProtocolSpec } from './protocols';
import type { Predictor } from './runner';

/** No view is observed: the code is the training code. */
export const KNOWN_CODE_PROTOCOL: ProtocolSpec = { name: 'known-code', observedViews: [] };

export function knownCodePredictor(config: SrnConfig, model: SrnModel, head: SegHeadKind = 'linear'): Predictor {
  return (instance, viewPositions, ctx) => {
    if (instance.index < 0 || instance.index >= model.latents.count) {
      throw new Error(`${instance.dir}: training index ${instance.index} has no code (the model has ${model.latents.count}); known codes exist for training objects only`);
    }
    const gts = viewPositions.map((p) => ctx.loadView(p));
    const views = renderViews(model, model.latents.row(instance.index), gts.map((g) => g.pose), gts[0].intrinsics, {
      side: ctx.side,
      chunkRays: config.inference.chunkRays,
      head,
    });
    return { labels: views.map((v) => v.labels!), rgba: views.map((v) => v.rgba) };
  };
}
