#!/usr/bin/env node
// Starts the project's tslab (node_modules/tslab, found from the kernel's cwd = the notebook's
// directory) with one fix: tslab 1.0.22 resolves relative imports of local .ts files only as
// `<id>.ts`, so directory imports (`./lib`, `export * from './plotting'` → `<dir>/index.ts`) fail
// with "Cannot find module". We map an extensionless relative id that names a directory with an
// index.ts to `<id>/index`, as TypeScript and Node (tsx) resolve it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

let tspathFile;
try {
  tspathFile = require.resolve('tslab/dist/tspath', { paths: [process.cwd(), __dirname] });
} catch (e) {
  console.error(`tslab-kernel: cannot find tslab from ${process.cwd()} — run \`npm ci\` in the project (${e.message.split('\n')[0]})`);
  process.exit(1);
}
const tspath = require(tspathFile);
const normalizeJoin = tspath.normalizeJoin;
tspath.normalizeJoin = function (...parts) {
  const joined = normalizeJoin(...parts);
  const id = parts[parts.length - 1];
  if (parts.length === 2 && typeof id === 'string' && /^\.\.?(\/|$)/.test(id) && path.extname(joined) === '') {
    try {
      if (!fs.existsSync(joined + '.ts') && fs.statSync(joined).isDirectory() && fs.existsSync(path.join(joined, 'index.ts'))) {
        return normalizeJoin(joined, 'index');
      }
    } catch {
      // not a directory: leave it to tslab / Node
    }
  }
  return joined;
};
require(path.join(path.dirname(tspathFile), 'main.js')).main();
