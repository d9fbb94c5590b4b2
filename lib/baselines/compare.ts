/**
 * Table 1's semi-supervised and small-data columns plus the full-data oracle, on one dataset and scale:
 * TCO+linear (single view), SRN+linear (single view; the quickstart pipeline), the 30-shot U-Net (single
 * view: GT RGB of each test view), and the Oracle RGB+U-Net on all training images. Each row comes from
 * the same evaluation runner (results.json); the table gives mIOU / shape-mIOU and the row's wall time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic_write';
import type { DeepPartial } from '../config/types';
import type { BaselineConfig } from './config';
import { runBaseline, type BaselineKind } from './run';

export interface BaselineComparisonRow {
  method: string;
  column: string;
  protocol: string;
  mIOU: number;
  shapeMIOU: number;
  wallSeconds: number;
  results: string;
  paperChairs: string;
}

export interface ComparisonOptions {
  preset?: string;
  data?: string;
  /** Folder of the comparison; each row runs in `<out>/<row>/`. */
  out?: string;
  seed?: number;
  overrides?: DeepPartial<BaselineConfig>;
  /** quickstart --steps overrides for SRN+linear (pretrain/probe/fit). */
  srnSteps?: { pretrain?: number; probe?: number; fit?: number };
  /** Reuse a row's existing results.json instead of re-running it. */
  reuse?: boolean;
  /** Only these rows (default all). */
  rows?: RowKey[];
  backend?: string;
  trackingUri?: string;
  track?: boolean;
  quiet?: boolean;
}

export const ROW_KEYS = ['tco-linear', 'srn-linear', 'unet-30shot', 'unet-oracle'] as const;
export type RowKey = (typeof ROW_KEYS)[number];

const PAPER: Record<RowKey, { column: string; chairs: string }> = {
  'tco-linear': { column: '1 semi-sup., 30 images', chairs: '28.4 / 23.3' },
  'srn-linear': { column: '2 semi-sup., 30 images', chairs: '48.7 / 42.3' },
  'unet-30shot': { column: '3 sup., 30 images', chairs: '42.2 / 38.0' },
  'unet-oracle': { column: '6 sup., full data', chairs: 'best (lost in the extracted text)' },
};

function readResults(path: string): { mIOU: number; shapeMIOU: number; method: string; protocol: { name: string }; timings: Record<string, number> } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export async function runTable1Comparison(
  opts: ComparisonOptions = {},
): Promise<{ rows: BaselineComparisonRow[]; markdown: string; outDir: string; tracking: { uri: string; runId: string; experimentId: string } }> {
  const preset = opts.preset ?? 'cpu';
  const outDir = resolve(opts.out ?? join('runs', `table1-${preset}`));
  const seed = opts.seed ?? 0;
  const rows: BaselineComparisonRow[] = [];
  const wanted = opts.rows ?? [...ROW_KEYS];
  // A parent run for the comparison: the baseline rows' runs are its children, the table its artifact.
  const { createTracker, NullTracker } = await import('../tracking/create_tracker');
  const tracker = opts.track === false ? new NullTracker() : createTracker(opts.trackingUri ? { uri: opts.trackingUri } : {});
  const parent = await tracker.startRun({
    name: `table1-${preset}`,
    tags: { command: 'baseline compare', preset },
    params: { preset, seed, rows: wanted.join(','), reuse: Boolean(opts.reuse) },
  });
  let ok = false;
  try {
    for (const key of wanted) {
      const dir = join(outDir, key);
      const path = join(dir, 'results.json');
      const t0 = performance.now();
      if (!(opts.reuse && existsSync(path))) {
        if (key === 'srn-linear') {
          const { parseQuickstartArgs, runQuickstart } = await import('../cli/quickstart_command');
          const argv = ['--preset', preset, '--out', outDir, '--name', key, '--seed', String(seed)];
          if (opts.data) argv.push('--data', opts.data);
          const st = Object.entries(opts.srnSteps ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
          if (st.length) argv.push('--steps', st.join(','));
          if (opts.backend) argv.push('--backend', opts.backend);
          if (opts.trackingUri) argv.push('--tracking-uri', opts.trackingUri);
          if (opts.track === false) argv.push('--no-track');
          if (opts.quiet) argv.push('--quiet');
          const args = parseQuickstartArgs(argv);
          if (args === 'help') throw new Error('unreachable');
          await runQuickstart(args);
        } else {
          const kind: BaselineKind = key === 'tco-linear' ? 'tco' : key === 'unet-30shot' ? 'unet-fewshot' : 'unet-oracle';
          await runBaseline({ kind, preset, data: opts.data, out: outDir, name: key, seed, overrides: opts.overrides, backend: opts.backend, tracker, parentRun: parent, quiet: opts.quiet });
        }
      }
      const r = readResults(path);
      const wall = r.timings?.totalSeconds ?? (performance.now() - t0) / 1000;
      rows.push({
        method: r.method,
        column: PAPER[key].column,
        protocol: key === 'unet-oracle' || key === 'unet-30shot' ? 'GT RGB of every test view' : `${r.protocol.name} view`,
        mIOU: r.mIOU,
        shapeMIOU: r.shapeMIOU,
        wallSeconds: wall,
        results: path,
        paperChairs: PAPER[key].chairs,
      });
      parent.logMetrics({ [`${key}/mIOU`]: r.mIOU, [`${key}/shape_mIOU`]: r.shapeMIOU, [`${key}/wall_seconds`]: wall });
    }
    const pct = (v: number) => (100 * v).toFixed(1);
    const markdown = [
      `| row (Table 1 column) | input at test time | mIOU / shape-mIOU (%) | wall time | paper, chairs |`,
      `|---|---|---|---|---|`,
      ...rows.map((r) => `| ${r.method} (${r.column}) | ${r.protocol} | ${pct(r.mIOU)} / ${pct(r.shapeMIOU)} | ${(r.wallSeconds / 60).toFixed(1)} min | ${r.paperChairs} |`),
    ].join('\n');
    writeJsonAtomic(join(outDir, 'table1.json'), { preset, seed, rows, tracking: { uri: tracker.uri, runId: parent.runId } });
    writeFileAtomic(join(outDir, 'table1.md'), `${markdown}\n`);
    await parent.logArtifact(join(outDir, 'table1.md'));
    await parent.logArtifact(join(outDir, 'table1.json'));
    ok = true;
    return { rows, markdown, outDir, tracking: { uri: tracker.uri, runId: parent.runId, experimentId: parent.experimentId } };
  } finally {
    await parent.end(ok ? 'FINISHED' : 'FAILED');
    await tracker.close();
  }
}
