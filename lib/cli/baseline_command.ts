/**
 * `semantic-srn baseline <tco|unet-oracle|unet-fewshot|srn-unet|compare> …` (issue 5): trains a baseline,
 * evaluates it with the shared runner (results.json) and logs it to the tracker; `compare` produces the
 * Table 1 comparison (TCO+linear, SRN+linear, 30-shot U-Net, Oracle U-Net) at one scale.
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from './command';
import { SCALE_NAMES, scaleDefinition } from '../config/scales';

const baselinePresetOf = (s: string) => ((SCALE_NAMES as readonly string[]).includes(s) ? scaleDefinition(s).baselinePreset : s);

const KINDS = ['tco', 'unet-oracle', 'unet-fewshot', 'srn-unet', 'srn-render-unet', 'compare'] as const;

const HELP = `usage: semantic-srn baseline <${KINDS.join('|')}> [options]

  tco            TCO (Tatarchenko) pre-training + TCO+linear probe on the 30 labelled images; single-view eval
  unet-oracle    2-D U-Net on all training images; given the GT RGB of every test view
  unet-fewshot   the same U-Net on the 30 labelled images; dropout chosen on val, early stopping on val mIOU
  srn-unet       semantic SRN with the U-Net head, single + multi view (Table 1 columns 4-5)
  srn-render-unet  a 2-D U-Net on the semantic SRN's rendered RGB (the supplement's SRN+U-Net; no Table 1 column)
  compare        Table 1 rows: TCO+linear, SRN+linear, 30-shot U-Net, Oracle U-Net (mIOU / shape-mIOU, wall time)

  --scale NAME          small, cpu (default), cpu64 or paper (lib/config/scales.ts), or a baselines
                        preset name: tiny, cpu, cpu64, paper  (alias --preset)
  --data DIR            dataset root; built-in chairs generated here if absent (default .cache/data)
  --out DIR             runs folder (default runs); outputs in <out>/<name>/
  --name NAME           run name (default baseline-<kind>, compare: table1-<scale>)
  --seed N              seed (default 0)
  --steps N|K=N,...     main training steps (N), or keys: pretrain, probe, train (U-Net), srn-pretrain, srn-probe, srn-fit
  --side N              image side of the baseline nets and of evaluation
  --dropout P           U-Net dropout (oracle; the 30-shot run uses its grid)
  --tco-depth           TCO RGB+D variant (needs depth/ maps: synthetic data)
  --probe-input MODE    TCO+linear training input: other-view (default) or same-view
  --reuse               compare: reuse rows whose results.json exists
  --resolution N        rendered size of generated data (default 64)
  --backend NAME        auto|node-gpu|node|wasm|cpu (default auto)
  --tracking-uri URI    MLflow tracking URI (default MLFLOW_TRACKING_URI, else ./mlruns); --no-track disables
  --quiet               no progress lines`;

export interface BaselineArgs {
  kind: (typeof KINDS)[number];
  scale: string;
  data?: string;
  out: string;
  name?: string;
  seed: number;
  steps: Record<string, number>;
  side?: number;
  dropout?: number;
  tcoDepth: boolean;
  probeInput?: 'other-view' | 'same-view';
  reuse: boolean;
  resolution: number;
  backend?: string;
  trackingUri?: string;
  track: boolean;
  quiet: boolean;
}

const STEP_KEYS = ['pretrain', 'probe', 'train', 'srn-pretrain', 'srn-probe', 'srn-fit'];

function intArg(v: string, name: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer ≥ ${min}, got '${v}'`);
  return n;
}

export function parseBaselineArgs(argv: string[]): BaselineArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scale: { type: 'string' }, preset: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' },
      seed: { type: 'string' }, steps: { type: 'string' }, side: { type: 'string' }, dropout: { type: 'string' }, 'tco-depth': { type: 'boolean' },
      'probe-input': { type: 'string' }, reuse: { type: 'boolean' }, resolution: { type: 'string' }, backend: { type: 'string' },
      'tracking-uri': { type: 'string' }, 'no-track': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const [kind, ...extra] = positionals;
  if (!kind) throw new Error(`baseline: name a baseline: ${KINDS.join(', ')}`);
  if (!(KINDS as readonly string[]).includes(kind)) throw new Error(`baseline: expected one of ${KINDS.join(', ')}, got '${kind}'`);
  if (extra.length) throw new Error(`baseline: unexpected argument '${extra[0]}'`);
  const steps: Record<string, number> = {};
  if (values.steps) {
    if (/^\d+$/.test(values.steps)) steps.main = intArg(values.steps, '--steps');
    else
      for (const part of values.steps.split(',')) {
        const [k, v] = part.split('=');
        if (!STEP_KEYS.includes(k) || v === undefined) throw new Error(`--steps: expected N or comma-separated ${STEP_KEYS.map((s) => `${s}=N`).join(', ')}, got '${part}'`);
        steps[k] = intArg(v, `--steps ${k}`);
      }
  }
  const name = values.name;
  if (name !== undefined && !/^[\w.-]+$/.test(name)) throw new Error(`--name: use letters, digits, '.', '_' or '-', got '${name}'`);
  const pi = values['probe-input'];
  if (pi !== undefined && pi !== 'other-view' && pi !== 'same-view') throw new Error(`--probe-input: expected other-view or same-view, got '${pi}'`);
  let dropout: number | undefined;
  if (values.dropout !== undefined) {
    dropout = Number(values.dropout);
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`--dropout: expected a number in [0, 1), got '${values.dropout}'`);
  }
  return {
    kind: kind as BaselineArgs['kind'],
    // A scale name (small, cpu, cpu64, paper) means its baselines' preset; the preset names (tiny, …) still work.
    scale: baselinePresetOf(values.scale ?? values.preset ?? 'cpu'),
    data: values.data,
    out: values.out ?? 'runs',
    name,
    seed: values.seed !== undefined ? intArg(values.seed, '--seed') : 0,
    steps,
    side: values.side !== undefined ? intArg(values.side, '--side', 2) : undefined,
    dropout,
    tcoDepth: values['tco-depth'] ?? false,
    probeInput: pi as BaselineArgs['probeInput'],
    reuse: values.reuse ?? false,
    resolution: values.resolution !== undefined ? intArg(values.resolution, '--resolution', 8) : 64,
    backend: values.backend,
    trackingUri: values['tracking-uri'],
    track: !values['no-track'],
    quiet: values.quiet ?? false,
  };
}

/** Config overrides from the flags (steps apply to the baseline named by `kind`; compare: to all). */
export function overridesFromArgs(a: BaselineArgs): Record<string, unknown> {
  const tco: Record<string, unknown> = {};
  const unet: Record<string, unknown> = {};
  const srnUnet: Record<string, unknown> = {};
  const main = a.steps.main;
  const pre = a.steps.pretrain ?? (a.kind === 'tco' || a.kind === 'compare' ? main : undefined);
  const train = a.steps.train ?? (a.kind !== 'tco' ? main : undefined);
  if (pre !== undefined) tco.pretrain = { steps: pre };
  if (a.steps.probe !== undefined) tco.probe = { steps: a.steps.probe };
  if (a.probeInput) tco.probe = { ...(tco.probe as object), input: a.probeInput };
  if (a.tcoDepth) tco.depth = true;
  if (train !== undefined) {
    unet.oracle = { steps: train };
    unet.fewShot = { steps: train };
    srnUnet.rgbUnet = { steps: train };
  }
  if (a.dropout !== undefined) unet.dropout = a.dropout;
  const data: Record<string, unknown> = {};
  if (a.side !== undefined) {
    tco.side = a.side;
    unet.side = a.side;
    data.evalSide = a.side;
  }
  return { tco, unet, srnUnet, data };
}

export const baselineCommand: CliCommand = {
  summary: 'baselines: TCO+linear, 2-D U-Net (oracle, 30-shot), SRN+U-Net; and the Table 1 comparison',
  async run(argv) {
    const args = parseBaselineArgs(argv);
    if (args === 'help') {
      console.log(HELP);
      return 0;
    }
    const overrides = overridesFromArgs(args);
    // The backend is picked once, here; the library functions run on whatever is current.
    const { selectBackend, describeBackend, parseBackendChoice } = await import('../backend/select');
    const backend = await selectBackend({ backend: args.backend ? parseBackendChoice(args.backend, '--backend') : undefined });
    if (!args.quiet) console.error(`[baseline] ${describeBackend(backend)}`);
    (await import('../util/heartbeat')).startHeartbeat(args.out); // for `semantic-srn status`
    if (args.kind === 'compare') {
      const { runTable1Comparison } = await import('../baselines/compare');
      const { join } = await import('node:path');
      const srnSteps = {
        pretrain: args.steps['srn-pretrain'],
        probe: args.steps['srn-probe'],
        fit: args.steps['srn-fit'],
      };
      const r = await runTable1Comparison({
        preset: args.scale, data: args.data, out: join(args.out, args.name ?? `table1-${args.scale}`), seed: args.seed, overrides, srnSteps,
        reuse: args.reuse, backend, trackingUri: args.trackingUri, track: args.track, quiet: args.quiet,
      });
      console.log(r.markdown);
      console.log(`table: ${join(r.outDir, 'table1.md')}`);
      console.log(`tracking: ${r.tracking.uri} (parent run ${r.tracking.runId})`);
      await printUiLine(r.tracking);
      return 0;
    }
    const { runBaseline } = await import('../baselines/run');
    const s = await runBaseline({
      kind: args.kind, preset: args.scale, data: args.data, out: args.out, name: args.name, seed: args.seed, overrides,
      resolution: args.resolution, backend, trackingUri: args.trackingUri, track: args.track, quiet: args.quiet,
    });
    for (const [m, sc] of Object.entries(s.scores)) console.log(`${m}: mIOU ${(100 * sc.mIOU).toFixed(1)}% / shape-mIOU ${(100 * sc.shapeMIOU).toFixed(1)}%`);
    for (const p of Object.values(s.results)) console.log(`results: ${p}`);
    console.log(`tracking: ${s.tracking.uri} (run ${s.tracking.runId})`);
    await printUiLine(s.tracking);
    return 0;
  },
};

async function printUiLine(t: { uri: string; experimentId: string }): Promise<void> {
  const { mlflowUiLine } = await import('../tracking/ui_link');
  const line = mlflowUiLine(t.uri, t.experimentId);
  if (line) console.log(line);
}
