/**
 * `semantic-srn status`: what a runs folder holds — processes working in it now, trainings against their schedule,
 * work stopped part-way (journals) and finished results — read without running or changing anything.
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from './command';

const HELP = `usage: semantic-srn status [--runs DIR] [--all] [--json]

  --runs DIR   the runs folder the experiments wrote to (default runs; the experiments' --out)
  --all        list every finished results file with its mIOU (default: a count per experiment)
  --json       the whole status as JSON (for scripts and notebooks: runsStatus() in the library)

Reads leases (training.lock, tracking-run.json) to tell live processes on this machine from stopped ones,
checkpoint manifests for steps, *.partial.json journals for work that resumes, results*.json for scores.
What is left of an experiment: 'semantic-srn experiment table-1 --plan' and 'experiment label-count-sweep --plan'.`;

export const statusCommand: CliCommand = {
  summary: "what a runs folder holds: what runs now, trainings' steps, work stopped part-way, finished results",
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { runs: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const { runsStatus, formatRunsStatus } = await import('../experiments/runs_status');
    let status;
    try {
      status = runsStatus(values.runs ?? 'runs');
    } catch (e) {
      console.error(`semantic-srn status: ${(e as Error).message}`);
      return 2;
    }
    console.log(values.json ? JSON.stringify(status, null, 2) : formatRunsStatus(status, values.all).join('\n'));
    return 0;
  },
};
