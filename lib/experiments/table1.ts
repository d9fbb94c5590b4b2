/**
 * Table 1 (reference §6.1): collects the rows that exist under a runs folder (any results.json with a
 * `table1` entry, or an evaluation results file whose method names a Table 1 column, e.g. quickstart's),
 * runs the experiments of the missing rows at the chosen scale, and sets our numbers beside the paper's.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeResultsJson } from '../eval/runner';
import { saveFigure } from '../plotting/save';
import { VEGA_LITE_SCHEMA } from '../plotting/vegalite_specs';
import { resultsTable, saveTable, type ResultRecord } from '../tables/results_table';
import { experimentOutput, experimentRunDir, say, withExperimentRun, type ExperimentOptions, type ExperimentOutput } from './common';
import { loadExperimentConfig } from './config_loader';
import type { ExperimentConfig, ExperimentName, Scale } from './types';

export interface PaperColumn {
  column: number;
  label: string;
  /** [mIOU, shape-mIOU] in %, or null where the extracted text lost the number. */
  chair: [number, number] | null;
  table: [number, number] | null;
}

/** Table 1 of the paper as transcribed in reference §6.1 (columns 4/5 assignment is the likelier reading; column 6 is lost). */
export const PAPER_TABLE1: readonly PaperColumn[] = [
  { column: 1, label: 'TCO+linear (30 images, single view)', chair: [28.4, 23.3], table: [32.8, 11.4] },
  { column: 2, label: 'SRN+linear, ours (30 images, single view)', chair: [48.7, 42.3], table: [58.7, 18.3] },
  { column: 3, label: 'Oracle RGB+U-Net (30 images)', chair: [42.2, 38.0], table: [50.3, 17.9] },
  { column: 4, label: 'SRN+U-Net, single view (full data)', chair: [60.9, 51.8], table: [70.8, 26.5] },
  { column: 5, label: 'SRN+U-Net, multi view (full data)', chair: [74.2, 63.7], table: [78.9, 40.5] },
  { column: 6, label: 'Oracle RGB+U-Net (full data)', chair: null, table: null },
];

/** Which experiment makes which columns (for running missing rows). */
export const TABLE1_PRODUCERS: Partial<Record<ExperimentName, number[]>> = {
  'semi-supervised-probe': [2],
  'tco-baseline': [1],
  'unet-baselines': [3, 4, 5, 6],
};

export interface Table1Row {
  column: number;
  method: string;
  protocol: string;
  className: string;
  /** Fractions in [0, 1]. */
  mIOU: number;
  shapeMIOU: number;
  /** results.json it came from. */
  source: string;
  scale: string | null;
  createdAt: string | null;
}

/** Maps an evaluation method name + protocol to a Table 1 column (null if it is not a Table 1 row). */
export function table1Column(method: string, protocol: string): number | null {
  const m = method.toLowerCase();
  if (/tco|tatarchenko/.test(m)) return 1;
  if (/unet-(30shot|fewshot)|oracle.*(30|small|few)/.test(m)) return 3;
  if (/oracle/.test(m)) return 6;
  if (/^srn\+linear/.test(m)) return protocol === 'single' ? 2 : null;
  if (/^srn\+unet|semantic/.test(m)) return protocol === 'multi' ? 5 : 4;
  return null;
}

function walkResults(dir: string, depth: number, out: string[]): void {
  if (depth < 0 || !existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (f.startsWith('.') || f === 'node_modules' || f === 'mlruns' || f === 'checkpoints' || f === 'checkpoint') continue;
    const p = join(dir, f);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walkResults(p, depth - 1, out);
    else if (f === 'results.json') out.push(p);
  }
}

type Json = Record<string, unknown>;

/** Table 1 rows found in one results.json (empty if it holds none). */
export function table1RowsOf(path: string, doc: Json): Table1Row[] {
  const scale = typeof doc.scale === 'string' ? doc.scale : ((doc.config as Json | undefined)?.preset as string | undefined) ?? null;
  const createdAt = typeof doc.createdAt === 'string' ? doc.createdAt : null;
  const entries: Json[] = Array.isArray(doc.table1) ? (doc.table1 as Json[]) : doc.table1 && typeof doc.table1 === 'object' ? [doc.table1 as Json] : [];
  const rows: Table1Row[] = [];
  for (const e of entries) {
    if (typeof e.column !== 'number' || typeof e.mIOU !== 'number') continue;
    rows.push({
      column: e.column,
      method: String(e.method ?? ''),
      protocol: String(e.protocol ?? ''),
      className: String(e.className ?? ''),
      mIOU: e.mIOU,
      shapeMIOU: typeof e.shapeMIOU === 'number' ? e.shapeMIOU : NaN,
      source: path,
      scale: typeof e.scale === 'string' ? e.scale : scale,
      createdAt,
    });
  }
  if (rows.length === 0 && doc.schema === 'semantic-srn/eval-results@1' && typeof doc.method === 'string' && typeof doc.mIOU === 'number') {
    const protocol = String((doc.protocol as Json | undefined)?.name ?? '');
    const column = table1Column(doc.method, protocol);
    if (column !== null) {
      rows.push({
        column,
        method: doc.method,
        protocol,
        className: String((doc.dataset as Json | undefined)?.className ?? ''),
        mIOU: doc.mIOU,
        shapeMIOU: typeof doc.shapeMIOU === 'number' ? doc.shapeMIOU : NaN,
        source: path,
        scale,
        createdAt,
      });
    }
  }
  return rows;
}

/** Every Table 1 row under `runsDir` (results.json files up to 4 folders deep). */
export function collectTable1Rows(runsDir: string): Table1Row[] {
  const files: string[] = [];
  walkResults(resolve(runsDir), 4, files);
  const rows: Table1Row[] = [];
  for (const f of files.sort()) {
    try {
      rows.push(...table1RowsOf(f, JSON.parse(readFileSync(f, 'utf8')) as Json));
    } catch {
      // A torn or foreign results.json is not a row.
    }
  }
  return rows;
}

/** One row per (column, class): the chosen scale first, then the newest. */
export function pickTable1Rows(rows: readonly Table1Row[], scale?: string): Table1Row[] {
  const best = new Map<string, Table1Row>();
  const rank = (r: Table1Row) => [scale && r.scale === scale ? 1 : 0, r.createdAt ?? ''] as const;
  for (const r of rows) {
    const k = `${r.column}/${r.className.toLowerCase()}`;
    const cur = best.get(k);
    if (!cur) {
      best.set(k, r);
      continue;
    }
    const [a1, a2] = rank(r);
    const [b1, b2] = rank(cur);
    if (a1 > b1 || (a1 === b1 && a2 > b2)) best.set(k, r);
  }
  return [...best.values()].sort((a, b) => a.column - b.column || a.className.localeCompare(b.className));
}

export interface Table1Record extends ResultRecord {
  column: number;
  method: string;
  class: string;
  'ours mIOU %': number | null;
  'ours shape-mIOU %': number | null;
  'paper mIOU %': number | null;
  'paper shape-mIOU %': number | null;
  scale: string | null;
  source: string | null;
}

/** Our rows beside the paper's, one record per (column, class) the paper or we have. */
export function table1Records(rows: readonly Table1Row[], classes: readonly string[] = ['Chair']): Table1Record[] {
  const out: Table1Record[] = [];
  for (const pc of PAPER_TABLE1) {
    for (const cls of classes) {
      const paper = cls.toLowerCase() === 'table' ? pc.table : pc.chair;
      const ours = rows.find((r) => r.column === pc.column && r.className.toLowerCase() === cls.toLowerCase());
      const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : Math.round(1000 * v) / 10);
      out.push({
        column: pc.column,
        method: pc.label,
        class: cls,
        'ours mIOU %': pct(ours?.mIOU),
        'ours shape-mIOU %': pct(ours?.shapeMIOU),
        'paper mIOU %': paper ? paper[0] : null,
        'paper shape-mIOU %': paper ? paper[1] : null,
        scale: ours?.scale ?? null,
        source: ours ? ours.source : null,
      });
    }
  }
  return out;
}

/** Grouped bars: ours vs paper mIOU per column. */
export function table1ChartSpec(records: readonly Table1Record[], title = 'Table 1: mIOU, ours vs paper'): TopLevelSpec {
  const values = records.flatMap((r) => [
    ...(r['ours mIOU %'] !== null ? [{ column: `${r.column} ${r.class}`, who: 'ours', mIOU: r['ours mIOU %'] }] : []),
    ...(r['paper mIOU %'] !== null ? [{ column: `${r.column} ${r.class}`, who: 'paper', mIOU: r['paper mIOU %'] }] : []),
  ]);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: { step: 18 },
    height: 220,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'column', type: 'nominal', title: 'Table 1 column', axis: { labelAngle: 0 } },
      xOffset: { field: 'who' },
      y: { field: 'mIOU', type: 'quantitative', title: 'mIOU (%)', scale: { domain: [0, 100] } },
      color: { field: 'who', type: 'nominal', title: '' },
      tooltip: [{ field: 'column' }, { field: 'who' }, { field: 'mIOU', format: '.1f' }],
    },
  } as TopLevelSpec;
}

export interface Table1Result extends ExperimentOutput {
  rows: Table1Row[];
  records: Table1Record[];
  /** Experiments run now because their rows were missing. */
  ran: ExperimentName[];
  skipped: { experiment: ExperimentName; reason: string }[];
  table: { csv: string; json: string };
}

/** Runs one experiment by name (the registry's `runExperiment`; passed in because the registry imports this file). */
export type ExperimentRunner = (name: ExperimentName, cfg: ExperimentConfig, opts: ExperimentOptions) => Promise<ExperimentOutput>;

/** Table 1 at one scale: runs the missing rows' experiments with `runExperiment`, then assembles (use `runTable1`). */
export async function assembleTable1(cfg: ExperimentConfig<'table-1'>, opts: ExperimentOptions, runExperiment: ExperimentRunner): Promise<Table1Result> {
  const t0 = performance.now();
  const runsDir = resolve(opts.runsDir ?? 'runs');
  const runDir = experimentRunDir(cfg, opts);
  const className = cfg.data.className === 'table' ? 'Table' : 'Chair';
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    const ran: ExperimentName[] = [];
    const skipped: { experiment: ExperimentName; reason: string }[] = [];
    const have = (cols: number[]) => {
      const rows = collectTable1Rows(runsDir).filter((r) => r.className.toLowerCase() === className.toLowerCase() && r.scale === cfg.scale);
      return cols.some((c) => rows.some((r) => r.column === c));
    };
    for (const name of cfg.runMissing) {
      const cols = TABLE1_PRODUCERS[name] ?? [];
      if (have(cols)) continue;
      say(opts, `table-1: no row for column(s) ${cols.join(', ')} at scale ${cfg.scale}: running ${name}`);
      try {
        await runExperiment(name, loadExperimentConfig(name, cfg.scale as Scale), { ...opts, parentRun: run });
        ran.push(name);
      } catch (e) {
        const msg = (e as Error).message;
        if (!/not available|baselines/i.test(msg)) throw e;
        skipped.push({ experiment: name, reason: msg });
        say(opts, `table-1: skipped ${name}: ${msg}`);
      }
    }
    const rows = pickTable1Rows(collectTable1Rows(runsDir), cfg.scale);
    const records = table1Records(rows, [className]);
    const table = saveTable(resultsTable(records.map((r) => ({ ...r, source: r.source ? relative(runsDir, r.source) : null }))), join(runDir, 'table1'));
    const fig = await saveFigure(table1ChartSpec(records), join(runDir, 'table1_chart'));
    const out: Table1Result = {
      ...experimentOutput(cfg, runDir, { chart: fig.png }, tracker, run, t0),
      rows,
      records,
      ran,
      skipped,
      table,
    };
    const resultsPath = out.resultsPath;
    // No `table1` field here: this file must not be collected as a row itself.
    writeResultsJson(resultsPath, { schema: 'semantic-srn/table-1@1', experiment: cfg.experiment, scale: cfg.scale, records, rows, ran, skipped, totalSeconds: out.seconds, createdAt: new Date().toISOString() });
    for (const r of records) if (r['ours mIOU %'] !== null) run.logMetrics({ [`col${r.column}/mIOU`]: r['ours mIOU %']!, [`col${r.column}/shapeMIOU`]: r['ours shape-mIOU %'] ?? NaN });
    await run.logArtifact(resultsPath);
    await run.logArtifact(table.csv);
    for (const f of Object.values(fig)) await run.logArtifact(f, 'figures');
    return out;
  });
}
