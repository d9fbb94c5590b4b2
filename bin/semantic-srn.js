#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript, run through tsx so no build step is needed.
const { register } = require('tsx/cjs/api');
register();
require('../lib/cli/main.ts').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; },
);
