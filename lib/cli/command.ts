/** What every command module exports: `run(argv)` resolves to the exit code; `summary` is its line in the usage. */
export interface CliCommand {
  summary: string;
  run(argv: string[]): Promise<number>;
}
