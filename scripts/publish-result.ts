/**
 * Publishes a run's results.json under docs/results/: `npx tsx scripts/publish-result.ts RESULTS --name NAME
 * --command "…" --ran-at COMMIT [--load "1.2 1.5 1.9"] [--note "…"]`. Adds what every published number must carry: the command,
 * the commit, the seed, the scale (preset, side), the wall time, the backend and that the data is synthetic
 * (with its generator version); drops the machine-local paths. Writes docs/results/NAME.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { datasetVersion } from '../lib/data/synthetic/generate';
import { writeJsonAtomic } from '../lib/util/atomic_write';

interface Results {
  schema: string;
  method: string;
  dataset: { root: string; className: string };
  side: number;
  mIOU: number;
  shapeMIOU: number;
  perClassIoU: Record<string, number | null>;
  timings: { totalSeconds: number; pretrainSeconds?: number };
  config: { preset: string; seed: number };
  [k: string]: unknown;
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, command: { type: 'string' }, 'ran-at': { type: 'string' }, load: { type: 'string' }, note: { type: 'string' } } });
  const [src] = positionals;
  if (!src || !values.name || !values.command || !values['ran-at']) {
    throw new Error('usage: publish-result.ts RESULTS --name NAME --command "…" --ran-at COMMIT [--load "…"] [--note "…"]');
  }
  if (!/^[\w.-]+$/.test(values.name)) throw new Error(`--name: letters, digits, '.', '_' or '-', got '${values.name}'`);
  const r = JSON.parse(readFileSync(src, 'utf8')) as Results;
  for (const f of ['mIOU', 'shapeMIOU', 'perClassIoU', 'config', 'dataset', 'timings'] as const) {
    if (r[f] === undefined) throw new Error(`${src}: field '${f}' is missing (expected a results.json written by the quickstart or an experiment)`);
  }
  const data = datasetVersion(r.dataset.root, r.dataset.className);
  const { renders: _r, checkpoints: _c, tracking: _t, ...kept } = r;
  const out = {
    provenance: {
      command: values.command,
      // The commit the run ran at (publishing comes later); it must name a commit of this repository.
      commit: execFileSync('git', ['rev-parse', '--short', `${values['ran-at']}^{commit}`], { encoding: 'utf8' }).trim(),
      seed: r.config.seed,
      scale: { preset: r.config.preset, side: r.side },
      data: { className: r.dataset.className, version: data, synthetic: data.startsWith('synthetic') },
      wallSeconds: r.timings.totalSeconds,
      loadAverage: values.load ?? null,
      note: values.note ?? null,
    },
    ...kept,
    dataset: { className: r.dataset.className, version: data },
  };
  const path = resolve(__dirname, '..', 'docs', 'results', `${values.name}.json`);
  writeJsonAtomic(path, out);
  console.log(`written ${join('docs', 'results', `${values.name}.json`)}: ${r.method} mIOU ${(100 * r.mIOU).toFixed(1)}% / shape ${(100 * r.shapeMIOU).toFixed(1)}%`);
}

main();
