import { parseArgs } from 'node:util';
import type { CliCommand } from './command';
import { FileStore } from '../tracking/file_store';
import { syncLocalStore } from '../tracking/sync';
import { MLFLOW_TAG } from '../tracking/system_tags';

const USAGE = `usage:
  semantic-srn mlflow sync [DIR] --to URI [--experiment NAME]... [--dry-run]
      replay the runs of a local store (default ./mlruns) into the tracking server at URI
      (default $MLFLOW_TRACKING_URI); idempotent: a second sync sends nothing new
  semantic-srn mlflow ls [DIR]
      list the experiments and runs of a local store (default ./mlruns)

View a local store in the MLflow UI:
  MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri file://$PWD/mlruns`;

export const mlflowCommand: CliCommand = {
  summary: 'MLflow tracking: sync the local ./mlruns store to a server, list local runs',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return sub ? 0 : 2;
    }
    if (sub === 'sync') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { to: { type: 'string' }, experiment: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } },
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      const to = values.to ?? process.env.MLFLOW_TRACKING_URI;
      if (!to || !/^https?:\/\//.test(to)) {
        console.error(`mlflow sync: --to must be an http(s) tracking server URL${to ? `, got ${to}` : ''}\n\n${USAGE}`);
        return 2;
      }
      if (positionals.length > 1) {
        console.error(`mlflow sync: expected at most one local store folder, got ${positionals.join(' ')}`);
        return 2;
      }
      const runs = await syncLocalStore({
        from: positionals[0] ?? './mlruns',
        to,
        experiments: values.experiment,
        dryRun: values['dry-run'],
        log: (line) => console.log(line),
      });
      const changed = runs.filter((r) => r.action !== 'unchanged').length;
      console.log(`${values['dry-run'] ? '[dry run] ' : ''}${runs.length} run(s) checked, ${changed} created or updated on ${to}`);
      return 0;
    }
    if (sub === 'ls') {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      const store = new FileStore(positionals[0] ?? './mlruns');
      for (const exp of store.listExperiments()) {
        const runs = store.listRuns(exp.experimentId);
        if (runs.length === 0) continue;
        console.log(`${exp.name} (${exp.experimentId})`);
        for (const r of runs) {
          const tags = store.readRun(r.runId).tags;
          const spill = tags[MLFLOW_TAG.spillServerRunId] ? ` spilled from ${tags[MLFLOW_TAG.spillTrackingUri]} run ${tags[MLFLOW_TAG.spillServerRunId]}` : '';
          const parent = tags[MLFLOW_TAG.parentRunId] ? ` child of ${tags[MLFLOW_TAG.parentRunId]}` : '';
          console.log(`  ${r.runId} ${r.status.padEnd(8)} ${new Date(r.startTime).toISOString()} ${r.runName}${parent}${spill}`);
        }
      }
      return 0;
    }
    console.error(`mlflow: unknown subcommand '${sub}'\n\n${USAGE}`);
    return 2;
  },
};
