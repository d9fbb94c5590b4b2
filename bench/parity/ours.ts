/**
 * Our side of a parity run: the library's own stage (pretrain or trainSemantic) on the same split, side,
 * batch size and step count, timed per step the way theirs is (wall time between consecutive steps, so data
 * loading is included on both sides).
 */
import type { SrnConfig } from '../../lib/config/types';
import type { SplitInfo } from '../../lib/data/types';
import { ViewCache } from '../../lib/data/view_loader';
import { SrnModel } from '../../lib/srn/model';
import { splitSource } from '../../lib/training/data';
import { pretrain, trainSemantic } from '../../lib/training/stages';
import type { ParityRun } from './config_map';
import { psnrFromMse, type StepMetrics } from './metrics';

/** The preset with the run's schedule (one stage at run.side) for the stage being compared. */
export function oursConfig(base: SrnConfig, run: ParityRun, numClasses: number): SrnConfig {
  const stage = { ...base.training[run.stage], schedule: [{ side: run.side, batchSize: run.batchSize, steps: run.steps }] };
  return {
    ...base,
    model: { ...base.model, numClasses },
    training: { ...base.training, [run.stage]: stage },
  };
}

export async function trainOurs(config: SrnConfig, run: ParityRun, info: SplitInfo, onStep?: (m: StepMetrics) => void): Promise<{ steps: StepMetrics[]; parameters: number }> {
  const model = new SrnModel(config.model, { numInstances: Math.max(...info.instances.map((i) => i.index)) + 1, seed: config.seed });
  const parameters = model.parameterCounts().total;
  const data = splitSource(info, { seed: `${config.seed}/${run.stage}`, skipLabels: run.stage === 'pretrain', cache: new ViewCache(256 * 2 ** 20) });
  const steps: StepMetrics[] = [];
  let prev = performance.now();
  const stageFn = run.stage === 'pretrain' ? pretrain : trainSemantic;
  try {
    const res = await stageFn(config, model, data, {
      onProgress: false,
      onMetrics: (step, rec) => {
        const now = performance.now();
        const mse = rec.img ?? NaN;
        const m: StepMetrics = { step, loss: rec.loss, mse, psnr: psnrFromMse(mse), seconds: (now - prev) / 1000 };
        prev = now;
        steps.push(m);
        onStep?.(m);
      },
    });
    res.adam?.dispose();
  } finally {
    model.dispose();
  }
  return { steps, parameters };
}
