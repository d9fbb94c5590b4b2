/**
 * `semantic-srn experiment <name> [--scale small|cpu|cpu64|paper] [--class chair|table] [--seeds 0,1,2] [--columns 3]`: runs one experiment of experiments/*.json
 * through the same library function the notebooks call, logging to MLflow (./mlruns by default).
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import type { CliCommand } from './command';
import type { ExperimentConfig } from '../experiments/types';

const HELP = `usage: semantic-srn experiment <name> [options]
       semantic-srn experiment --list

  <name>                semi-supervised-probe, label-count-sweep, interpolation, mask-reconstruction,
                        table-1, tco-baseline, unet-baselines (configs in experiments/<name>.json)
  --scale S             small (CI smoke), cpu (default, 32²), cpu64 (64², native backend) or paper:
                        model preset, data and schedule together (lib/config/scales.ts)
  --class C             chair (default: the config's) or table
  --seeds LIST          replicate seeds, e.g. 0,1,2 (default: the config's): semi-supervised-probe and the
                        baselines run once per seed on one pre-training and report mean ± 95% CI;
                        table-1 runs only the seeds and columns still missing
  --columns LIST        table-1 only: run just these columns where missing, by paper number (1–6) or id
                        (tco-linear, srn-linear, unet-30shot, srn-unet-single, srn-unet-multi, unet-oracle);
                        the table still shows every column found
  --plan                table-1: print the (column, seed) cells still missing and the runs that would make
                        them; label-count-sweep: the records done and left, about how long they take; then
                        exit without running anything
  --protocol P          semi-supervised-probe only: single (default, Table 1) or multi (the supplement's
                        multi-shot column: the code fitted to 50 views); multi runs in <class>-multi-seed<s>/
  --rerun               run again what finished before with the same config: the seeds of a multi-seed run,
                        and a baseline experiment's kinds (default: reuse their results, so a stopped run goes
                        on where it stopped and rows a table-1 run made are not trained again)
  --out DIR             runs folder (default runs): results in <out>/<name>/<scale>/<class>[-seed<s>]/,
                        shared pre-training in <out>/pretrain/
  --data DIR            dataset root (default: the config's data.root)
  --config FILE         read the config from FILE instead of experiments/<name>.json
  --backend NAME        auto|node-gpu|node|wasm|cpu (default auto)
  --tracking-uri URI    MLflow tracking URI (default MLFLOW_TRACKING_URI, else ./mlruns); --no-track disables
  --quiet               no progress lines`;

export const experimentCommand: CliCommand = {
  summary: 'run an experiment of experiments/*.json at a scale (small, cpu, cpu64, paper), for chairs or tables, over seeds',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        scale: { type: 'string' }, class: { type: 'string' }, seeds: { type: 'string' }, protocol: { type: 'string' }, columns: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, config: { type: 'string' },
        backend: { type: 'string' }, 'tracking-uri': { type: 'string' }, 'no-track': { type: 'boolean' },
        quiet: { type: 'boolean' }, plan: { type: 'boolean' }, rerun: { type: 'boolean' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    const { EXPERIMENT_NAMES, SCALES, SCALE_PRESETS, loadExperimentConfig, experimentsDir, withClassAndSeeds } = await import('../experiments/config_loader').then(async (m) => ({ ...m, ...(await import('../experiments/types')) }));
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (values.list) {
      for (const n of EXPERIMENT_NAMES) console.log(`${n.padEnd(24)} ${experimentsDir()}/${n}.json`);
      return 0;
    }
    const [name, ...extra] = positionals;
    if (!name || extra.length) {
      console.error(`semantic-srn experiment: expected one experiment name\n\n${HELP}`);
      return 2;
    }
    if (!(EXPERIMENT_NAMES as readonly string[]).includes(name)) {
      console.error(`semantic-srn experiment: unknown experiment '${name}' (expected one of ${EXPERIMENT_NAMES.join(', ')})`);
      return 2;
    }
    const scale = values.scale ?? 'cpu';
    if (!(SCALES as readonly string[]).includes(scale)) {
      console.error(`semantic-srn experiment: --scale: expected one of ${SCALES.join(', ')}, got '${scale}'`);
      return 2;
    }
    const exp = name as (typeof EXPERIMENT_NAMES)[number];
    const loaded = loadExperimentConfig(exp, scale as (typeof SCALES)[number], values.config ? { file: values.config } : {});
    let cfg = loaded;
    try {
      cfg = withClassAndSeeds(loaded, { className: values.class, seeds: values.seeds, protocol: values.protocol, columns: values.columns });
    } catch (e) {
      console.error(`semantic-srn experiment: ${(e as Error).message}`);
      return 2;
    }

    if (values.plan) {
      if (cfg.experiment === 'label-count-sweep') {
        const { planSweep } = await import('../experiments/sweep_state');
        const { experimentRunPath } = await import('../experiments/common');
        const sw = cfg as ExperimentConfig<'label-count-sweep'>;
        console.log(`label-count-sweep (scale ${scale}, ${sw.data.className}s, seeds ${sw.seeds.join(',')}, methods ${sw.methods.join(', ')}, runs folder ${values.out ?? 'runs'}):`);
        for (const line of planSweep(experimentRunPath(sw, { runsDir: values.out ?? 'runs' }), sw.methods, sw.points, sw.seeds)) console.log(`  ${line}`);
        return 0;
      }
      if (cfg.experiment !== 'table-1') {
        console.error(`semantic-srn experiment: --plan: only table-1 and label-count-sweep plan their runs (this is ${exp})`);
        return 2;
      }
      const { planTable1, describeTable1Step } = await import('../experiments/table1');
      const t1 = cfg as ExperimentConfig<'table-1'>;
      const steps = planTable1(t1, values.out ?? 'runs');
      const what = `scale ${scale}, ${t1.data.className}s, seeds ${t1.seeds.join(',')}${t1.columns ? `, columns ${t1.columns.join(',')}` : ''}, runs folder ${values.out ?? 'runs'}`;
      console.log(steps.length ? `table-1 would run ${steps.length} step(s) (${what}):` : `table-1: nothing missing (${what})`);
      for (const s of steps) console.log(`  ${describeTable1Step(s)}`);
      return 0;
    }
    // The same command already running here would train the same records again beside it.
    const { sameCommandRunning } = await import('../experiments/runs_status');
    const { leaseCommand } = await import('../util/lease');
    const twin = sameCommandRunning(join(values.out ?? 'runs', exp), leaseCommand());
    if (twin) {
      console.error(
        `semantic-srn experiment: the same command already runs here as process ${twin.pid}${twin.startedAt ? ` (since ${twin.startedAt})` : ''}, lease ${twin.path}; ` +
          `a second one would train the same records again. Wait for it (\`semantic-srn status --runs ${values.out ?? 'runs'}\`), or stop it (kill ${twin.pid}: it stops after its step and writes its checkpoint) and run this again: it goes on from there.`,
      );
      return 2;
    }
    const { selectBackend, describeBackend, nativeThreadsForPreset, parseBackendChoice } = await import('../backend/select');
    const { createTracker, NullTracker } = await import('../tracking/create_tracker');
    const { stderrProgress } = await import('../training/progress');
    const { runExperiment } = await import('../experiments/registry');
    const backend = await selectBackend({
      backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined,
      nativeThreadsDefault: nativeThreadsForPreset(SCALE_PRESETS[scale as (typeof SCALES)[number]]),
    });
    const { startHeartbeat, heartbeat } = await import('../util/heartbeat');
    startHeartbeat(values.out ?? 'runs'); // where `semantic-srn status` finds this run's newest progress and message
    const log = (m: string) => {
      console.error(`[${exp}] ${m}`);
      heartbeat('message', `[${exp}] ${m}`);
    };
    if (!values.quiet) log(`${describeBackend(backend)} · scale ${scale} · ${cfg.data.className}s · seeds ${cfg.seeds.join(',')} (pre-training seed ${cfg.seed}) · ${cfg.source}`);
    const tracker = values['no-track'] ? new NullTracker() : createTracker(values['tracking-uri'] ? { uri: values['tracking-uri'] } : {});
    try {
      // Ctrl-C: trainings that checkpoint (pre-training, the semantic SRN) stop after their step and write it, fits
      // stop; the experiment then ends with an error that says where it resumes. A second Ctrl-C quits at once.
      const { runInterruptibly } = await import('../tracking/signals');
      const out = await runInterruptibly(
        (signal) =>
          runExperiment(exp, cfg, {
            tracker,
            runsDir: values.out ?? 'runs',
            dataRoot: values.data,
            onProgress: values.quiet ? undefined : log,
            stepProgress: values.quiet ? false : stderrProgress(5000),
            signal,
            rerun: values.rerun === true,
          }),
        () => log('interrupted: trainings that checkpoint stop after this step and write their checkpoint; rerun the same command to resume (Ctrl-C again quits at once)'),
      );
      console.log(JSON.stringify(summarize(out), null, 2));
      console.log(`results:  ${out.resultsPath}`);
      console.log(`tracking: ${out.tracking.uri} (run ${out.tracking.runId})`);
      const { mlflowUiLine } = await import('../tracking/ui_link');
      const ui = mlflowUiLine(out.tracking.uri, out.tracking.experimentId ?? '');
      if (ui) console.log(ui);
      return 0;
    } finally {
      await tracker.close();
    }
  },
};

/** The headline numbers of a result (no long arrays). */
function summarize(out: object): Record<string, unknown> {
  const keep: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'number' || typeof v === 'string' || v === null) keep[k] = v;
    else if (k === 'summary' || k === 'differences' || k === 'records' || k === 'figures' || k === 'skipped' || k === 'table1' || k === 'seeds') keep[k] = v;
  }
  return keep;
}
