/**
 * One configuration, two implementations: our `SrnConfig` (a preset plus the run's side/batch/steps)
 * mapped to the authors' `train.py` flags and to the constants their `models.py` hard-codes.
 *
 * Their code takes some numbers as CLI flags and fixes the rest in the source. A row whose `theirs` is a
 * flag is passed on the command line; a row marked `models.py constant` is written into the scratch copy by
 * `widthPatch` (patch.ts); a row marked `fixed` must already agree, or the mapping throws, since the
 * comparison would not be like for like.
 */
import type { SrnConfig } from '../../lib/config/types';

/** What a parity run trains: one stage of our pipeline against their `train.py` at the same settings. */
export interface ParityRun {
  /** 'pretrain' = vanilla SRN (their `--class_weight 0`); 'semantic' = with the feature U-Net (their default 8). */
  stage: 'pretrain' | 'semantic';
  side: number;
  batchSize: number;
  steps: number;
  /** Training instances (their `--max_num_instances_train`). */
  instances: number;
  /** Views per instance used (their `--max_num_observations_train`). */
  views: number;
  /** Their class name on disk (`--obj_name`, e.g. 'Chair'). */
  objName: string;
}

/** The numbers their models.py fixes that our presets change (written by widthPatch). */
export interface TheirConstants {
  /** `self.num_hidden_units_phi`: phi, pixel generator and probe input width. */
  width: number;
  /** `self.rendering_layers`: Linear→LN→ReLU blocks of the pixel generator. */
  renderingLayers: number;
  /** The feature U-Net (`self.class_generator`). */
  unet: { nf0: number; numDown: number; maxChannels: number };
}

export type MappingKind = 'flag' | 'constant' | 'fixed';

export interface MappingRow {
  ours: string;
  value: number | string;
  theirs: string;
  kind: MappingKind;
}

/** Their code's values for everything it does not expose (3ff49be: models.py, custom_layers.py, hyperlayers.py, train.py). */
const FIXED: { ours: string; theirs: string; expected: number; get: (c: SrnConfig, stage: ParityRun['stage']) => number }[] = [
  { ours: 'model.phiLayers', theirs: 'models.py phi_layers = 4', expected: 4, get: (c) => c.model.phiLayers },
  { ours: 'model.hyperHiddenLayers', theirs: 'HyperFC hyper_num_hidden_layers=1 (FCBlock: 2 LN blocks)', expected: 2, get: (c) => c.model.hyperHiddenLayers },
  { ours: 'model.hyperLastWeightScale', theirs: 'hyperlayers.py last_hyper_layer_init ×1e-1', expected: 0.1, get: (c) => c.model.hyperLastWeightScale },
  { ours: 'model.lstmHidden', theirs: 'custom_layers.py Raymarcher hidden_size = 16', expected: 16, get: (c) => c.model.lstmHidden },
  { ours: 'model.initialDepth', theirs: 'custom_layers.py initial_depth fill_(0.05)', expected: 0.05, get: (c) => c.model.initialDepth },
  { ours: 'model.gradClamp', theirs: 'custom_layers.py LSTM state hook clamp ±10', expected: 10, get: (c) => c.model.gradClamp },
  { ours: 'model.lnEps', theirs: 'nn.LayerNorm default eps 1e-5', expected: 1e-5, get: (c) => c.model.lnEps },
  { ours: 'model.rgbChannels', theirs: 'pixel_generator out_features=4', expected: 4, get: (c) => c.model.rgbChannels },
  { ours: 'model.unet.dropout', theirs: 'class_generator use_dropout=False', expected: 0, get: (c) => c.model.unet.dropout },
  { ours: 'stage dense.beta1', theirs: 'torch.optim.Adam default betas (0.9, 0.999)', expected: 0.9, get: (c, st) => c.training[st].dense.beta1 },
  { ours: 'stage dense.beta2', theirs: 'torch.optim.Adam default betas (0.9, 0.999)', expected: 0.999, get: (c, st) => c.training[st].dense.beta2 },
  { ours: 'stage dense.eps', theirs: 'torch.optim.Adam default eps 1e-8', expected: 1e-8, get: (c, st) => c.training[st].dense.eps },
  { ours: 'stage latent.beta1', theirs: 'train.py SparseAdam betas=(0.5, 0.5)', expected: 0.5, get: (c, st) => c.training[st].latent.beta1 },
  { ours: 'stage latent.beta2', theirs: 'train.py SparseAdam betas=(0.5, 0.5)', expected: 0.5, get: (c, st) => c.training[st].latent.beta2 },
  { ours: 'stage latent.eps', theirs: 'train.py SparseAdam eps=1e-5', expected: 1e-5, get: (c, st) => c.training[st].latent.eps },
];

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`parity: ${what} must be a positive integer, got ${v}`);
  return v;
}

/** Their hard-coded constants for our model config; throws where their code ties two of our fields together. */
export function theirConstants(cfg: SrnConfig): TheirConstants {
  const m = cfg.model;
  if (m.hyperHidden !== m.latentDim) {
    throw new Error(`parity: their HyperFC uses hyper_hidden_ch = latent_dim, so model.hyperHidden (${m.hyperHidden}) must equal model.latentDim (${m.latentDim})`);
  }
  if (m.rendererWidth !== m.phiWidth) {
    throw new Error(`parity: their pixel generator is num_hidden_units_phi wide, so model.rendererWidth (${m.rendererWidth}) must equal model.phiWidth (${m.phiWidth})`);
  }
  return {
    width: positiveInt(m.phiWidth, 'model.phiWidth'),
    renderingLayers: positiveInt(m.rendererHiddenLayers, 'model.rendererHiddenLayers'),
    unet: { nf0: positiveInt(m.unet.nf0, 'model.unet.nf0'), numDown: positiveInt(m.unet.numDown, 'model.unet.numDown'), maxChannels: positiveInt(m.unet.maxChannels, 'model.unet.maxChannels') },
  };
}

/** The stage config our side trains with (their train.py has one set of weights/optimisers for both). */
function stageOf(cfg: SrnConfig, run: ParityRun) {
  return cfg.training[run.stage];
}

/**
 * Every number that decides the comparison, ours beside theirs. Throws when a `fixed` row disagrees or
 * the run cannot be expressed in their flags (e.g. a ray subset: they always render whole images).
 */
export function configMapping(cfg: SrnConfig, run: ParityRun): MappingRow[] {
  const st = stageOf(cfg, run);
  const k = theirConstants(cfg);
  positiveInt(run.side, '--side');
  positiveInt(run.batchSize, '--batch');
  positiveInt(run.steps, '--steps');
  positiveInt(run.instances, '--instances');
  positiveInt(run.views, '--views');
  if (run.side % 2 ** k.unet.numDown !== 0) {
    throw new Error(`parity: --side ${run.side} must be divisible by 2^model.unet.numDown = ${2 ** k.unet.numDown} (their U-Net runs on every step)`);
  }
  if (st.raysPerImage !== null) {
    throw new Error(`parity: training.${run.stage}.raysPerImage is ${st.raysPerImage}; their train.py renders whole images, so it must be null`);
  }
  if (st.dense.lr !== st.latent.lr) {
    throw new Error(`parity: their --lr sets both optimisers, so training.${run.stage}.dense.lr (${st.dense.lr}) must equal latent.lr (${st.latent.lr})`);
  }
  const wantCe = run.stage === 'semantic' ? st.weights.ce : 0;
  if (run.stage === 'pretrain' && st.weights.ce !== 0) throw new Error(`parity: training.pretrain.weights.ce must be 0, got ${st.weights.ce}`);
  for (const f of FIXED) {
    const v = f.get(cfg, run.stage);
    if (Math.abs(v - f.expected) > 1e-12 * Math.max(1, Math.abs(f.expected))) {
      throw new Error(`parity: ${f.ours} is ${v} but their code fixes it at ${f.expected} (${f.theirs})`);
    }
  }
  const rows: MappingRow[] = [
    { ours: 'data: --side', value: run.side, theirs: '--img_sidelengths', kind: 'flag' },
    { ours: 'data: --batch', value: run.batchSize, theirs: '--batch_size_per_img_sidelength', kind: 'flag' },
    { ours: 'data: --steps', value: run.steps, theirs: '--max_steps_per_img_sidelength', kind: 'flag' },
    { ours: 'data: --instances', value: run.instances, theirs: '--max_num_instances_train', kind: 'flag' },
    { ours: 'data: views per instance', value: run.views, theirs: '--max_num_observations_train', kind: 'flag' },
    { ours: 'data.className', value: run.objName, theirs: '--obj_name', kind: 'flag' },
    { ours: 'model.latentDim (= hyperHidden)', value: cfg.model.latentDim, theirs: '--embedding_size', kind: 'flag' },
    { ours: 'model.marchSteps', value: cfg.model.marchSteps, theirs: '--tracing_steps', kind: 'flag' },
    { ours: `training.${run.stage}.dense.lr (= latent.lr)`, value: st.dense.lr, theirs: '--lr', kind: 'flag' },
    { ours: `training.${run.stage}.weights.img`, value: st.weights.img, theirs: '--l1_weight', kind: 'flag' },
    { ours: `training.${run.stage}.weights.ce`, value: wantCe, theirs: '--class_weight', kind: 'flag' },
    { ours: `training.${run.stage}.weights.latent`, value: st.weights.latent, theirs: '--kl_weight', kind: 'flag' },
    { ours: `training.${run.stage}.weights.depth`, value: st.weights.depth, theirs: '--reg_weight', kind: 'flag' },
    { ours: 'model.phiWidth (= rendererWidth)', value: k.width, theirs: 'models.py num_hidden_units_phi', kind: 'constant' },
    { ours: 'model.rendererHiddenLayers', value: k.renderingLayers, theirs: 'models.py rendering_layers', kind: 'constant' },
    { ours: 'model.unet.nf0', value: k.unet.nf0, theirs: 'models.py class_generator nf0', kind: 'constant' },
    { ours: 'model.unet.numDown', value: k.unet.numDown, theirs: 'models.py class_generator num_down', kind: 'constant' },
    { ours: 'model.unet.maxChannels', value: k.unet.maxChannels, theirs: 'models.py class_generator max_channels', kind: 'constant' },
  ];
  for (const f of FIXED) rows.push({ ours: f.ours, value: f.expected, theirs: f.theirs, kind: 'fixed' });
  return rows;
}

/** `train.py` arguments for the run (data/log paths are the caller's). */
export function theirTrainArgs(cfg: SrnConfig, run: ParityRun, paths: { dataRoot: string; loggingRoot: string }): string[] {
  const args = ['--data_root', paths.dataRoot, '--logging_root', paths.loggingRoot, '--log_dir', 'train'];
  for (const row of configMapping(cfg, run)) {
    if (row.kind === 'flag') args.push(row.theirs, String(row.value));
  }
  // A checkpoint at step 0 and at the end only (their default saves every 5,000 steps and at iter 0).
  args.push('--steps_til_ckpt', String(run.steps + 1));
  return args;
}

/** A Markdown table of the mapping (docs and the run's report). */
export function mappingMarkdown(rows: readonly MappingRow[]): string {
  const lines = ['| ours | value | theirs | how |', '|---|---|---|---|'];
  const how: Record<MappingKind, string> = { flag: 'CLI flag', constant: 'written into the scratch copy', fixed: 'must agree (checked)' };
  for (const r of rows) lines.push(`| \`${r.ours}\` | ${r.value} | ${r.theirs} | ${how[r.kind]} |`);
  return lines.join('\n');
}

/** The single-view fit (their `train.py --overwrite_embeddings`, our fitLatentCodes) on test objects. */
export interface FitRun {
  steps: number;
  /** Test objects; theirs fits them in one joint run with this batch size, ours fits them in one group. */
  objects: number;
  /** The observed view (reference 65). */
  view: number;
}

/**
 * `train.py` arguments for the fit from their trained checkpoint: fresh codes for `fit.objects` test objects,
 * everything else frozen, RGB loss only. Throws where our latentFit config differs from what their code fixes.
 */
export function theirFitArgs(cfg: SrnConfig, run: ParityRun, fit: FitRun, paths: { dataRoot: string; loggingRoot: string; checkpoint: string }): string[] {
  const lf = cfg.training.latentFit;
  positiveInt(fit.steps, '--fit-steps');
  positiveInt(fit.objects, '--fit-objects');
  if (lf.raysPerImage !== null) throw new Error(`parity: training.latentFit.raysPerImage is ${lf.raysPerImage}; their fit renders whole images, so it must be null`);
  if (lf.initStd !== 0.01) throw new Error(`parity: training.latentFit.initStd is ${lf.initStd} but their nn.init.normal_ uses std 0.01`);
  const a = lf.latent;
  if (a.beta1 !== 0.5 || a.beta2 !== 0.5 || a.eps !== 1e-5) {
    throw new Error(`parity: training.latentFit.latent is β=(${a.beta1}, ${a.beta2}), eps ${a.eps}; their SparseAdam fixes β=(0.5, 0.5), eps 1e-5`);
  }
  if (lf.weights.ce !== 0) throw new Error(`parity: training.latentFit.weights.ce must be 0 for an RGB fit, got ${lf.weights.ce}`);
  return [
    '--data_root', paths.dataRoot, '--logging_root', paths.loggingRoot, '--log_dir', 'fit',
    '--obj_name', run.objName, '--checkpoint_path', paths.checkpoint, '--overwrite_embeddings',
    '--img_sidelengths', String(run.side), '--batch_size_per_img_sidelength', String(fit.objects),
    '--max_steps_per_img_sidelength', String(fit.steps), '--max_num_instances_train', String(fit.objects),
    '--specific_observation_idcs', String(fit.view),
    '--embedding_size', String(cfg.model.latentDim), '--tracing_steps', String(cfg.model.marchSteps),
    '--lr', String(a.lr), '--l1_weight', String(lf.weights.img), '--class_weight', '0',
    '--kl_weight', String(lf.weights.latent), '--reg_weight', String(lf.weights.depth),
    '--steps_til_ckpt', String(fit.steps + 1),
  ];
}

/** The linear probe (their update.py --model_type linear, our fitLinearProbe) from each side's trained model. */
export interface ProbeRun {
  steps: number;
  /** The first n training objects (reference 10). */
  instances: number;
  /** Their view positions in each object's sorted list (reference 0, 1, 2). */
  views: number[];
}

/** `update.py` arguments for the probe; throws where our probe config differs from what their code fixes. */
export function theirProbeArgs(cfg: SrnConfig, run: ParityRun, probe: ProbeRun, paths: { dataRoot: string; loggingRoot: string; checkpoint: string }): string[] {
  const pc = cfg.training.probe;
  positiveInt(probe.steps, '--probe-steps');
  positiveInt(probe.instances, 'probe instances');
  if (pc.head !== 'linear') throw new Error(`parity: training.probe.head is '${pc.head}'; the bench compares the linear probe (their --model_type linear)`);
  const a = pc.dense;
  if (a.beta1 !== 0.9 || a.beta2 !== 0.999 || a.eps !== 1e-8) {
    throw new Error(`parity: training.probe.dense is β=(${a.beta1}, ${a.beta2}), eps ${a.eps}; their torch.optim.Adam uses the defaults β=(0.9, 0.999), eps 1e-8`);
  }
  if (pc.weights.ce <= 0) throw new Error(`parity: training.probe.weights.ce must be > 0, got ${pc.weights.ce}`);
  return [
    '--data_root', paths.dataRoot, '--logging_root', paths.loggingRoot, '--log_dir', 'probe',
    '--obj_name', run.objName, '--checkpoint_path', paths.checkpoint, '--model_type', 'linear',
    '--specific_observation_idcs', probe.views.join(','), '--max_num_instances_train', String(probe.instances),
    '--img_sidelengths', String(run.side), '--batch_size_per_img_sidelength', String(pc.batchSize),
    '--max_steps_per_img_sidelength', String(probe.steps),
    '--embedding_size', String(cfg.model.latentDim), '--tracing_steps', String(cfg.model.marchSteps),
    '--lr', String(a.lr), '--class_weight', String(pc.weights.ce), '--steps_til_ckpt', String(probe.steps + 1),
  ];
}
