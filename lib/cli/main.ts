/**
 * `semantic-srn <command> …`: dispatches to one module per command.
 * Each command module exports `run(argv): Promise<number>` (the exit code) and a one-line summary.
 */
import type { CliCommand } from './command';

export type { CliCommand };

// Lazy so that `semantic-srn --help` does not load TF.js.
const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  backend: async () => (await import('./backend_command')).backendCommand,
  data: async () => (await import('./data_command')).dataCommand,
  eval: async () => (await import('./eval_command')).evalCommand,
  experiment: async () => (await import('./experiment_command')).experimentCommand,
  quickstart: async () => (await import('./quickstart_command')).quickstartCommand,
  mlflow: async () => (await import('./mlflow_command')).mlflowCommand,
  baseline: async () => (await import('./baseline_command')).baselineCommand,
};

function usage(): string {
  return [
    'usage: semantic-srn <command> [options]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((c) => `  ${c}`),
    '',
    "run 'semantic-srn <command> --help' for a command's options",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`semantic-srn: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await load()).run(rest);
}
