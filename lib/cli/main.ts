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
  status: async () => (await import('./status_command')).statusCommand,
  'import-authors': async () => (await import('./import_authors_command')).importAuthorsCommand,
};

/** The commands with their one-line summaries (each module's own `summary`; none loads TF.js at import). */
export async function usage(): Promise<string> {
  const names = Object.keys(COMMANDS);
  const summaries = await Promise.all(names.map(async (c) => (await COMMANDS[c]()).summary));
  const width = Math.max(...names.map((c) => c.length));
  return [
    'usage: semantic-srn <command> [options]',
    '',
    'commands:',
    ...names.map((c, i) => `  ${c.padEnd(width)}  ${summaries[i]}`),
    '',
    "run 'semantic-srn <command> --help' for a command's options",
    '',
    'On first use, a command that runs a model builds the native TensorFlow backend (~1 min, once, where',
    'python3 with pip, g++ and make exist; else it runs on wasm and says why). Skip: --no-native-setup or SRN_AUTO_NATIVE=0.',
  ].join('\n');
}

/** Commands that run a model: before them, the first-run native build (lib/backend/native_setup.ts). */
const COMPUTING = new Set(['quickstart', 'experiment', 'baseline', 'eval', 'backend']);

export async function main(argv: string[]): Promise<number> {
  const noNativeSetup = argv.includes('--no-native-setup');
  const [name, ...rest] = argv.filter((a) => a !== '--no-native-setup');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`semantic-srn: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  if (COMPUTING.has(name) && !noNativeSetup && !rest.some((a) => a === '--help' || a === '-h')) {
    const { ensureNativeBackend } = await import('../backend/native_setup');
    ensureNativeBackend({ backend: backendArg(rest) });
  }
  return (await load()).run(rest);
}

/** The value of --backend (either spelling), to skip the native build when another backend is asked for. */
function backendArg(args: string[]): string | undefined {
  const i = args.indexOf('--backend');
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith('--backend='))?.slice('--backend='.length);
}
