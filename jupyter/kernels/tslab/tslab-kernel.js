#!/usr/bin/env node
// Starts the project's tslab (node_modules/tslab, found from the kernel's cwd = the notebook's
// directory), after bringing the prebuilt library up to date (see below), with one fix: tslab 1.0.22
// resolves relative imports of local .ts files only as `<id>.ts`, so directory imports (`./lib`,
// `export * from './plotting'` → `<dir>/index.ts`) of TypeScript sources fail with "Cannot find module".
// We map an extensionless relative id that names a directory with an index.ts to `<id>/index`, as
// TypeScript and Node (tsx) resolve it.
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
// The notebooks import the prebuilt library (notebooks/lib → ../.cache/lib-dist, `npm run build:lib`): tslab reads
// its .d.ts files instead of type-checking lib/'s TypeScript on every import. Rebuild it here when lib/ changed
// since the build, so a kernel (re)start always sees the current lib/. The freshness check (a hash of lib/) runs
// in this process: a few ms, against ~1 s for a child node on 2 busy cores.
async function ensurePrebuiltLib() {
  const buildLib = path.join(__dirname, '..', '..', '..', 'scripts', 'build-lib.mjs');
  if (!fs.existsSync(buildLib) || process.env.SRN_SKIP_LIB_BUILD === '1') return;
  try {
    const { staleReason } = await import(require('node:url').pathToFileURL(buildLib).href);
    if (!staleReason()) return;
  } catch {
    // let the build below report what is wrong
  }
  const r = require('node:child_process').spawnSync(process.execPath, [buildLib], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) console.error(`tslab-kernel: ${buildLib} failed (exit ${r.status ?? r.signal}); importing './lib' will fail or be stale`);
}

ensurePrebuiltLib().then(() => require(path.join(path.dirname(tspathFile), 'main.js')).main());
