#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run through tsx (its import and require hooks both,
// since commands load lazily with import()), so no build step is needed.
import { createRequire } from 'node:module';
import { register } from 'tsx/esm/api';

register();
createRequire(import.meta.url)('tsx/cjs/api').register();
try {
  const mod = await import('../lib/cli/main.ts');
  const main = mod.main ?? mod.default.main; // CJS module seen from ESM
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
