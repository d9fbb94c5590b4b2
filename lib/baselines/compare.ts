/**
 * Table 1's semi-supervised and small-data columns plus the full-data oracle, on one dataset and scale:
 * TCO+linear (single view), SRN+linear (single view; the quickstart pipeline), the 30-shot U-Net (single
 * view: GT RGB of each test view), and the Oracle RGB+U-Net on all training images. Each row comes from
 * the same evaluation runner (results.json); the table gives mIOU / shape-mIOU and the row's wall time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackendReport } from '../backend/select';
import type { DeepPartial } from '../config/types';
import { paperColumn, type Table1ColumnId } from '../eval/table1';
import { runQuickstart } from '../pipeline/quickstart';
import { createTracker, NullTracker } from '../tracking/create_tracker';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic_write';
import type { BaselineConfig } from './config';
import type { BaselineKind } from './finished_baseline';
import { runBaseline } from './run';

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
  /** The quickstart pipeline's step overrides for SRN+linear (pretrain/probe/fit). */
  srnSteps?: { pretrain?: number; probe?: number; fit?: number };
  /** Reuse a row's existing results.json instead of re-running it. */
  reuse?: boolean;
  /** Only these rows (default all). */
  rows?: RowKey[];
  /** The backend the caller selected (recorded in results.json; nothing here switches backends). */
  backend?: BackendReport;
  trackingUri?: string;
  track?: boolean;
  quiet?: boolean;
}

/** The Table 1 columns this comparison can run (ids of lib/eval/table1.ts). */
export const ROW_KEYS = ['tco-linear', 'srn-linear', 'unet-30shot', 'unet-oracle'] as const satisfies readonly Table1ColumnId[];
export type RowKey = (typeof ROW_KEYS)[number];

/** The paper's chair numbers of a column as text. */
function paperChairs(id: Table1ColumnId): string {
  const c = paperColumn(id);
  return c.chair ? `${c.chair[0]} / ${c.chair[1]}` : 'best (lost in the extracted text)';
}

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
  // A parent run for the comparison: every row's run is its child, the table its artifact.
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
          await runQuickstart({
            name: key, out: outDir, data: opts.data, preset, seed, fromScratch: false, steps: opts.srnSteps ?? {},
            backend: opts.backend, tracker, parentRun: parent, log: opts.quiet ? undefined : (m) => console.error(`[${key}] ${m}`),
          });
        } else {
          const kind: BaselineKind = key === 'tco-linear' ? 'tco' : key === 'unet-30shot' ? 'unet-fewshot' : 'unet-oracle';
          await runBaseline({ kind, preset, data: opts.data, out: outDir, name: key, seed, overrides: opts.overrides, backend: opts.backend, tracker, parentRun: parent, quiet: opts.quiet });
        }
      }
      const r = readResults(path);
      const wall = r.timings?.totalSeconds ?? (performance.now() - t0) / 1000;
      rows.push({
        method: r.method,
        column: `${paperColumn(key).column} ${paperColumn(key).label}`,
        protocol: paperColumn(key).testInput,
        mIOU: r.mIOU,
        shapeMIOU: r.shapeMIOU,
        wallSeconds: wall,
        results: path,
        paperChairs: paperChairs(key),
      });
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
