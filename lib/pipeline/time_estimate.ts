/**
 * About how long a quickstart will take, from per-step costs measured per preset and backend (the quickstart's
 * plan line, issue 15). Only measured combinations give an estimate: another preset or backend (node-gpu,
 * webgpu, cpu, a GPU machine) gives none and the plan line says "time unknown" rather than guess.
 */

/** Seconds per unit of work of each stage, for one preset on one backend. */
export interface StepCosts {
  /** One pre-training step (the preset's batch of whole images). */
  pretrainStep: number;
  /** The linear probe's feature pass over the labelled images (once, before its steps). */
  probeSetup: number;
  /** One linear-probe step (features cached). */
  probeStep: number;
  /** One latent-fit step of one test object, with the preset's `objectsPerStep` objects sharing a step. */
  fitObjectStep: number;
  /** Rendering and scoring one evaluated view at the preset's inference side. */
  renderView: number;
  /**
   * One step of the fully supervised semantic SRN (SRN+U-Net, mask reconstruction; experiments, not the quickstart),
   * where measured.
   */
  semanticStep?: number;
  /** Where and how the row was measured. */
  measured: string;
}

/**
 * Measured on the project's 2-core machine (2 vCPU, Node 20, tfjs 4.22.0) on 2026-12-05 with
 * `node bin/semantic-srn.mjs quickstart [--backend wasm] [--preset cpu64] [--steps …] --out /tmp/qs` runs: each
 * cost is a stage's wall time (results.json `timings`, the stages' progress lines) over its steps or views, first
 * steps' warm-up included. The machine was shared with two cpu64 trainings and other sessions' jobs (load 4-8 on
 * 2 cores), so a quiet machine is faster: "about". Native runs `cpu` on 1 TensorFlow thread and `cpu64` on its
 * default (nativeThreadsForPreset); wasm ran on 1 thread.
 */
export const STEP_COSTS: Readonly<Record<string, Readonly<Partial<Record<string, StepCosts>>>>> = {
  cpu: {
    // The default quickstart (shipped pre-training; probe 5000 steps in 31.8 s after a 0.8 s feature pass; 10 test
    // chairs fitted 10 per step, 300 steps in 115.9 s; 2,510 views at 32² in 53.9 s; 3 min 36 s wall in all, data
    // generation included; load 4.6-5.6) and `--steps pretrain=100` (26 s).
    node: { pretrainStep: 0.26, probeSetup: 0.8, probeStep: 0.0062, fitObjectStep: 0.0386, renderView: 0.0215, measured: 'default quickstart + 100 pre-training steps, load 4.6-5.6' },
    // `--backend wasm --steps pretrain=20,probe=1000,fit=30`: pre-training 20 steps in 14.0 s; probe 1000 steps in
    // 18 s after a 1.3 s feature pass; 10 chairs fitted 10 per step, 30 steps in 44.1 s; 2,510 views in 118.7 s.
    // Load 4.7-7.2.
    wasm: { pretrainStep: 0.7, probeSetup: 1.3, probeStep: 0.018, fitObjectStep: 0.147, renderView: 0.0473, measured: 'short quickstart, load 4.7-7.2' },
  },
  cpu64: {
    // `--preset cpu64 --steps pretrain=10,probe=300,fit=10 --train-instances 10 --test-instances 1`: pre-training
    // 10 steps in 19.7 s (~1.45 s/step); probe 300 steps in 8 s after a 3.6 s feature pass; 251 views at 64² in
    // 28.4 s; `--steps pretrain=0,probe=10,fit=20 --test-instances 4`: 4 objects fitted 4 per step (as the preset
    // fits), 20 steps in 25 s. Load 6.5-7.
    // semanticStep: the chair semantic SRN's 10,000 steps at model code v2 (scripts/reruns-after-fix.sh, 2026-12-07,
    // Intel Xeon): 0.44-0.51 steps/s on 1 TF thread beside a second 1-thread training, load 2-6.
    node: { pretrainStep: 1.45, probeSetup: 3.6, probeStep: 0.026, fitObjectStep: 0.31, renderView: 0.113, semanticStep: 2.1, measured: 'short quickstarts, load 6.5-7' },
    // `--backend wasm --preset cpu64 --steps pretrain=4,probe=100,fit=5 --train-instances 10 --test-instances 1`:
    // pre-training 4 steps in 52.6 s (12 s/step after a 16 s first step); probe 100 steps in 19 s after a 21 s
    // feature pass; 5 fit steps of one object in 10.1 s (1 per step; wasm is compute-bound, so sharing a step
    // saves little); 251 views in 117.7 s. Load 6.5-7.
    wasm: { pretrainStep: 12, probeSetup: 21, probeStep: 0.19, fitObjectStep: 2.0, renderView: 0.469, measured: 'short quickstart, load 6.5-7' },
  },
};

/** What a quickstart will run (after the data are prepared). */
export interface QuickstartWork {
  preset: string;
  /** The backend that runs it (`BackendReport.chosen`: node, wasm, …); undefined when not known. */
  backend: string | undefined;
  /** Pre-training steps still to run (0 with a shipped or finished checkpoint). */
  pretrainSteps: number;
  probeSteps: number;
  /** Latent-fit steps per test object. */
  fitSteps: number;
  testObjects: number;
  evalViews: number;
}

export interface TimeEstimate {
  /** Seconds per stage and in all. */
  pretrain: number;
  probe: number;
  fit: number;
  eval: number;
  total: number;
  costs: StepCosts;
}

/** The costs for this preset and backend, or why there are none. */
export function stepCosts(preset: string, backend: string | undefined): StepCosts | { unknown: string } {
  if (backend === undefined) return { unknown: 'backend not known' };
  const costs = STEP_COSTS[preset]?.[backend];
  return costs ?? { unknown: `no step costs measured for preset '${preset}' on ${backend}` };
}

/** Seconds per stage from the measured costs, or `{ unknown }` with the reason. */
export function estimateQuickstart(w: QuickstartWork): TimeEstimate | { unknown: string } {
  const costs = stepCosts(w.preset, w.backend);
  if ('unknown' in costs) return costs;
  const pretrain = Math.max(0, w.pretrainSteps) * costs.pretrainStep;
  const probe = w.probeSteps > 0 ? costs.probeSetup + w.probeSteps * costs.probeStep : 0;
  const fit = Math.max(0, w.fitSteps) * Math.max(0, w.testObjects) * costs.fitObjectStep;
  const evalSeconds = Math.max(0, w.evalViews) * costs.renderView;
  return { pretrain, probe, fit, eval: evalSeconds, total: pretrain + probe + fit + evalSeconds, costs };
}

/** About how long `steps` semantic-SRN steps take at this preset on node ("about 5.8 h on node"), or null where unmeasured. */
export function semanticTrainingTime(preset: string, steps: number): string | null {
  const perStep = STEP_COSTS[preset]?.node?.semanticStep;
  return perStep === undefined ? null : `${aboutDuration(Math.max(0, steps) * perStep)} on node`;
}

/** A duration as the plan line says it: "under a minute", "about 4 min", "about 2.5 h". */
export function aboutDuration(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  const min = seconds / 60;
  if (min < 90) return `about ${Math.round(min)} min`;
  return `about ${(min / 60).toFixed(1)} h`;
}

/** A stage's share in the total's unit ("0.5", "12", "<0.1"). */
function share(seconds: number, unitSeconds: number): string {
  const v = seconds / unitSeconds;
  if (v > 0 && v < 0.05) return '<0.1';
  return v < 10 ? (Math.round(v * 10) / 10).toString() : Math.round(v).toString();
}

/**
 * The plan line's time clause: "about 4 min on node (probe 0.5, fits 1.9, evaluation 0.9 min)" (hours from
 * 90 min on), stages that run no steps left out; "time unknown (…)" without measured costs.
 */
export function estimateClause(w: QuickstartWork): string {
  const e = estimateQuickstart(w);
  if ('unknown' in e) return `time unknown (${e.unknown})`;
  const hours = e.total >= 90 * 60; // as aboutDuration switches
  const parts = (
    [
      ['pre-training', e.pretrain, w.pretrainSteps],
      ['probe', e.probe, w.probeSteps],
      ['fits', e.fit, w.fitSteps * w.testObjects],
      ['evaluation', e.eval, w.evalViews],
    ] as const
  )
    .filter(([, , work]) => work > 0)
    .map(([name, s]) => `${name} ${share(s, hours ? 3600 : 60)}`);
  return `${aboutDuration(e.total)} on ${w.backend}${parts.length ? ` (${parts.join(', ')} ${hours ? 'h' : 'min'})` : ''}`;
}
