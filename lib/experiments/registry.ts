/** One entry point per experiment name, for the CLI and Table 1 (which runs missing rows). */
import type { ExperimentOptions, ExperimentOutput } from './common';
import { runBaselineExperiment } from './baseline_experiments';
import { runInterpolation } from './interpolation';
import { runLabelCountSweep } from './label_count_sweep';
import { runMaskReconstruction } from './mask_reconstruction';
import { runSemiSupervisedProbe } from './semi_supervised_probe';
import { runReplicates } from './replicates';
import { assembleTable1, type Table1Result } from './table1';
import type { ExperimentConfig, ExperimentName } from './types';

/** Table 1 (reference §6.1) at the config's scale: runs the experiments of missing rows, then sets ours beside the paper's. */
export function runTable1(cfg: ExperimentConfig<'table-1'>, opts: ExperimentOptions = {}): Promise<Table1Result> {
  return assembleTable1(cfg, opts, runExperiment);
}

/**
 * Runs the experiment `name` with its loaded config: once per replicate seed for the experiments that are (the
 * SRN+linear probe and the baselines, summarised as mean ± 95% CI), else once.
 */
export async function runExperiment(name: ExperimentName, cfg: ExperimentConfig, opts: ExperimentOptions = {}): Promise<ExperimentOutput> {
  if (cfg.experiment !== name) throw new Error(`runExperiment: config from ${cfg.source} is for '${cfg.experiment}', not '${name}'`);
  return runReplicates(name, cfg, opts, runOnce);
}

async function runOnce(name: ExperimentName, cfg: ExperimentConfig, opts: ExperimentOptions): Promise<ExperimentOutput> {
  switch (name) {
    case 'semi-supervised-probe':
      return runSemiSupervisedProbe(cfg as ExperimentConfig<'semi-supervised-probe'>, opts);
    case 'label-count-sweep':
      return runLabelCountSweep(cfg as ExperimentConfig<'label-count-sweep'>, opts);
    case 'interpolation':
      return runInterpolation(cfg as ExperimentConfig<'interpolation'>, opts);
    case 'mask-reconstruction':
      return runMaskReconstruction(cfg as ExperimentConfig<'mask-reconstruction'>, opts);
    case 'table-1':
      return runTable1(cfg as ExperimentConfig<'table-1'>, opts);
    case 'tco-baseline':
    case 'unet-baselines':
      return runBaselineExperiment(cfg as ExperimentConfig<'tco-baseline' | 'unet-baselines'>, opts);
  }
}
