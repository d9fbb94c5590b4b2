/**
 * `semantic-srn quickstart`: the main job on a fresh clone (issue 3, item 7). Argument parsing and printing only;
 * the pipeline (data → pre-train → probe → fit → evaluate → report) is lib/pipeline/quickstart.ts.
 */
import { parseArgs } from 'node:util';
import type { QuickstartOptions, QuickstartResult } from '../pipeline/quickstart';
import type { CliCommand } from './command';

const HELP = `usage: semantic-srn quickstart [options]

  --name NAME           run name (default quickstart); outputs go to <out>/<name>/
  --out DIR             runs folder (default runs)
  --data DIR            dataset root; built-in objects are generated here if absent
                        (default .cache/data for 64² data, .cache/data-<side> otherwise)
  --preset NAME         config preset: cpu (default), cpu64 (64², docs/presets.md), tiny, paper, paper-released
  --class NAME          object class: chair (default) or table (a shipped pre-training is used where
                        pretrained/<preset>-<class>-seed<seed> exists, else it pre-trains from scratch)
  --seed N              seed for init, ray sampling and the few-shot draw (default 0)
  --from-scratch        ignore an existing pre-training checkpoint of this run
  --pretrained DIR      start from this pre-training checkpoint (made by our own pre-training)
  --keep-checkpoints N  keep the last N pre-training checkpoints (every 500 steps) as pretrain.step-<step>,
                        e.g. for IoU against steps (default 1: only the newest)
  --steps K=N,...       step overrides: pretrain=N, probe=N, fit=N
  --train-instances N   training objects (default: preset's data.maxTrainInstances)
  --test-instances N    test objects to fit and evaluate (default: preset's data.maxTestInstances)
  --resolution N        rendered size of generated data (default: the preset's, 64 for cpu, 128 for cpu64)
  --backend NAME        auto|node-gpu|node|wasm|cpu (default auto, i.e. wasm here)
  --tracking-uri URI    MLflow tracking URI (default MLFLOW_TRACKING_URI, else ./mlruns); --no-track disables
  --quiet               no progress lines`;

/** The pipeline's options as argv gives them: the backend by name, the tracker by URI. */
type QuickstartArgs = Omit<QuickstartOptions, 'backend' | 'tracker' | 'parentRun' | 'log' | 'progress' | 'interruptible'> & {
  backend?: string;
  trackingUri?: string;
  track: boolean;
  quiet: boolean;
};

function intArg(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer ≥ ${min}, got '${v}'`);
  return n;
}

export function parseQuickstartArgs(argv: string[]): QuickstartArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, preset: { type: 'string' }, class: { type: 'string' },
      seed: { type: 'string' }, 'from-scratch': { type: 'boolean' }, pretrained: { type: 'string' }, 'keep-checkpoints': { type: 'string' }, steps: { type: 'string' },
      'train-instances': { type: 'string' }, 'test-instances': { type: 'string' }, resolution: { type: 'string' },
      backend: { type: 'string' }, 'tracking-uri': { type: 'string' }, 'no-track': { type: 'boolean' }, quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const steps: QuickstartArgs['steps'] = {};
  if (values.steps) {
    for (const part of values.steps.split(',')) {
      const [k, v] = part.split('=');
      if (!['pretrain', 'probe', 'fit'].includes(k) || v === undefined) {
        throw new Error(`--steps: expected comma-separated pretrain=N, probe=N, fit=N, got '${part}'`);
      }
      steps[k as keyof QuickstartArgs['steps']] = intArg(v, `--steps ${k}`, 0);
    }
  }
  const name = values.name ?? 'quickstart';
  if (values.class !== undefined && !['chair', 'table'].includes(values.class.toLowerCase())) {
    throw new Error(`--class: expected chair or table, got '${values.class}'`);
  }
  if (!/^[\w.-]+$/.test(name)) throw new Error(`--name: use letters, digits, '.', '_' or '-', got '${name}'`);
  return {
    name,
    out: values.out ?? 'runs',
    data: values.data,
    preset: values.preset ?? 'cpu',
    className: values.class,
    seed: intArg(values.seed, '--seed') ?? 0,
    fromScratch: values['from-scratch'] ?? false,
    pretrained: values.pretrained,
    keepCheckpoints: intArg(values['keep-checkpoints'], '--keep-checkpoints', 1),
    steps,
    trainInstances: intArg(values['train-instances'], '--train-instances', 1),
    testInstances: intArg(values['test-instances'], '--test-instances', 1),
    resolution: intArg(values.resolution, '--resolution', 8),
    backend: values.backend,
    trackingUri: values['tracking-uri'],
    track: !values['no-track'],
    quiet: values.quiet ?? false,
  };
}

export const quickstartCommand: CliCommand = {
  summary: 'generate chairs, pre-train, fit the linear probe on 30 images, fit test codes from one view, evaluate',
  async run(argv) {
    const args = parseQuickstartArgs(argv);
    if (args === 'help') {
      console.log(HELP);
      return 0;
    }
    await runQuickstartCommand(args);
    return 0;
  },
};

/** Picks the backend, opens the tracker, runs the pipeline and prints its summary. */
export async function runQuickstartCommand(args: QuickstartArgs): Promise<QuickstartResult> {
  // Lazy imports keep `--help` free of TF.js.
  const { selectBackend, describeBackend, nativeThreadsForPreset, parseBackendChoice } = await import('../backend/select');
  const { createTracker, NullTracker } = await import('../tracking/create_tracker');
  const { stderrProgress } = await import('../training/progress');
  const { formatResults } = await import('../eval/runner');
  const { runQuickstart } = await import('../pipeline/quickstart');
  const { startHeartbeat, heartbeat } = await import('../util/heartbeat');
  startHeartbeat(args.out); // for `semantic-srn status`
  const log = (msg: string) => {
    console.error(`[quickstart] ${msg}`);
    heartbeat('message', `[quickstart] ${msg}`);
  };
  const backend = await selectBackend({
    backend: args.backend ? parseBackendChoice(args.backend, '--backend') : undefined,
    nativeThreadsDefault: nativeThreadsForPreset(args.preset),
  });
  log(describeBackend(backend));
  const tracker = args.track ? createTracker(args.trackingUri ? { uri: args.trackingUri } : {}) : new NullTracker();
  const opts: QuickstartOptions = {
    ...args,
    backend,
    tracker,
    log, // phase lines always (as before); --quiet drops only the per-step progress
    progress: args.quiet ? false : stderrProgress(5000),
    interruptible: true,
  };
  let r: QuickstartResult;
  try {
    r = await runQuickstart(opts);
  } finally {
    await tracker.close();
  }
  const t = r.timings;
  const bar = r.qualityBar;
  console.log(formatResults(r.results));
  console.log(`  quality bar: SRN mIOU ${pct(bar.srnMIOU)} vs all-background ${pct(bar.allBackgroundMIOU)}, majority part ${pct(bar.majorityPartMIOU)} → ${bar.marginOverBest > 0 ? 'above' : 'NOT above'} both`);
  console.log(`  time: total ${t.totalSeconds.toFixed(0)} s (data ${t.dataSeconds.toFixed(0)}, pre-train ${t.pretrainSeconds.toFixed(0)}, probe ${t.probeSeconds.toFixed(0)}, fit+eval ${t.evalSeconds.toFixed(0)}; ${t.meanFitSecondsPerObject.toFixed(1)} s per single-view fit, ${r.config.training.latentFit.objectsPerStep} objects per step)`);
  console.log(`results:     ${r.resultsPath}`);
  console.log(`renders:     ${r.runDir}/renders (${r.renders.length} files)`);
  console.log(`checkpoints: ${r.runDir}/checkpoints`);
  console.log(`tracking:    ${r.tracking.uri} (experiment ${r.tracking.experiment}, run ${r.tracking.runId})`);
  const ui = (await import('../tracking/ui_link')).mlflowUiLine(r.tracking.uri, r.tracking.experimentId, r.tracking.runId);
  if (ui) console.log(ui);
  return r;
}

function pct(v: number | null): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`;
}

