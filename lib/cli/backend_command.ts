import { parseArgs } from 'node:util';
import type { CliCommand } from './command';

export const backendCommand: CliCommand = {
  summary: 'show which TF.js backend would run, and why faster ones were skipped',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { backend: { type: 'string' }, help: { type: 'boolean' } } });
    if (values.help) {
      console.log('usage: semantic-srn backend [--backend auto|node-gpu|node|wasm|cpu]');
      return 0;
    }
    // Loaded here, not at the top: `semantic-srn --help` reads every command's summary and must not load TF.js.
    const { selectBackend, describeBackend, parseBackendChoice } = await import('../backend/select');
    const report = await selectBackend({ backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined });
    console.log(describeBackend(report));
    return 0;
  },
};
