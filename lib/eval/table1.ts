/**
 * Table 1 of the paper (reference §6.1) in one place: its six columns keyed by id with the paper's numbers and
 * their source, the Table 1 entry a results.json carries, and the one assembler (collect rows under a runs folder,
 * pick one per column and class, set them beside the paper's) that the table-1 experiment, the baselines' comparison
 * and the notebooks use.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { VEGA_LITE_SCHEMA, type ClassIouRecord } from '../plotting/vegalite_specs';
import type { ResultRecord } from '../plotting/results_table';
import { excludesZero, meanCI, pairedScoreDifference, pct1, signedCI, type PercentCI } from '../metrics/stats';
import { PRESET_NAMES, presetConfig, scheduleSteps } from '../config/presets';
import { type CodeVersions, staleColumnResult, UNET_CODE, UNET_COLUMNS } from './result_code';

/** Where the paper's numbers come from. */
export const PAPER_TABLE1_SOURCE =
  'Kohli, Sitzmann, Wetzstein, "Semantic Implicit Neural Scene Representations With Semi-Supervised Training", 3DV 2020, Table 1 ' +
  '(mIOU / shape-mIOU in %), as transcribed in spec/reference.md §6.1: columns 4/5 are the likelier reading of the garbled text; column 6 is lost';

export const TABLE1_COLUMN_IDS = ['tco-linear', 'srn-linear', 'unet-30shot', 'srn-unet-single', 'srn-unet-multi', 'unet-oracle'] as const;
export type Table1ColumnId = (typeof TABLE1_COLUMN_IDS)[number];

export interface PaperColumn {
  id: Table1ColumnId;
  /** Column number in the paper (1–6). */
  column: number;
  label: string;
  /** What the method sees at test time. */
  testInput: string;
  /** [mIOU, shape-mIOU] in %, or null where the extracted text lost the number. */
  chair: [number, number] | null;
  table: [number, number] | null;
}

/** The paper's Table 1 (see PAPER_TABLE1_SOURCE). */
export const PAPER_TABLE1: readonly PaperColumn[] = [
  { id: 'tco-linear', column: 1, label: 'TCO+linear (30 images, single view)', testInput: 'single view', chair: [28.4, 23.3], table: [32.8, 11.4] },
  { id: 'srn-linear', column: 2, label: 'SRN+linear, ours (30 images, single view)', testInput: 'single view', chair: [48.7, 42.3], table: [58.7, 18.3] },
  { id: 'unet-30shot', column: 3, label: 'Oracle RGB+U-Net (30 images)', testInput: 'GT RGB of every test view', chair: [42.2, 38.0], table: [50.3, 17.9] },
  { id: 'srn-unet-single', column: 4, label: 'SRN+U-Net, single view (full data)', testInput: 'single view', chair: [60.9, 51.8], table: [70.8, 26.5] },
  { id: 'srn-unet-multi', column: 5, label: 'SRN+U-Net, multi view (full data)', testInput: '50 views', chair: [74.2, 63.7], table: [78.9, 40.5] },
  { id: 'unet-oracle', column: 6, label: 'Oracle RGB+U-Net (full data)', testInput: 'GT RGB of every test view', chair: null, table: null },
];

/** The paper column of an id. */
export function paperColumn(id: Table1ColumnId): PaperColumn {
  const c = PAPER_TABLE1.find((p) => p.id === id);
  if (!c) throw new Error(`Table 1: unknown column id '${id}', expected one of ${TABLE1_COLUMN_IDS.join(', ')}`);
  return c;
}

/** The Table 1 entry a results.json carries (`table1`: one entry or a list), written by whoever produced the row. */
export interface Table1Entry {
  id: Table1ColumnId;
  /** Paper column number (1–6) of `id`. */
  column: number;
  method: string;
  protocol: string;
  className: string;
  mIOU: number;
  shapeMIOU: number;
  scale?: string;
  /** The replicate seed (few-shot draw, heads, fits; a baseline's whole training); absent in files written before seeds. */
  seed?: number;
  /** The code versions the numbers depend on (lib/eval/result_code.ts): set on the U-Net columns. */
  codeVersions?: CodeVersions;
}

/** The entry for column `id` from an evaluation's scores. */
export function table1Entry(
  id: Table1ColumnId,
  r: { method: string; protocol: string | { name: string }; className: string; mIOU: number; shapeMIOU: number; scale?: string; seed?: number },
): Table1Entry {
  const unet = UNET_COLUMNS.includes(id);
  return {
    id,
    column: paperColumn(id).column,
    method: r.method,
    protocol: typeof r.protocol === 'string' ? r.protocol : r.protocol.name,
    className: r.className,
    mIOU: r.mIOU,
    shapeMIOU: r.shapeMIOU,
    ...(r.scale !== undefined ? { scale: r.scale } : {}),
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(unet ? { codeVersions: { ...UNET_CODE } } : {}),
  };
}

/**
 * Results written before they carried a `table1` entry (quickstart and baseline runs): the exact method/protocol
 * pairs our runs wrote, by column. Nothing is guessed from other names.
 */
const LEGACY_METHOD_COLUMNS: Record<string, Table1ColumnId> = {
  'tco+linear/single': 'tco-linear',
  'srn+linear/single': 'srn-linear',
  'unet-30shot/single': 'unet-30shot',
  'srn+unet/single': 'srn-unet-single',
  'srn+unet/multi': 'srn-unet-multi',
  'unet-oracle/single': 'unet-oracle',
};

/** Column id of a legacy results file's method and protocol, or null when it is not a Table 1 row. */
export function legacyTable1Column(method: string, protocol: string): Table1ColumnId | null {
  return LEGACY_METHOD_COLUMNS[`${method}/${protocol}`] ?? null;
}

/** A collected row: an entry (scores as fractions in [0, 1]) with where it came from. */
export interface Table1Row extends Omit<Table1Entry, 'scale' | 'seed'> {
  /** Replicate seed; files written before seeds were recorded ran seed 0 (the only seed then). */
  seed: number;
  /** results.json it came from. */
  source: string;
  scale: string | null;
  createdAt: string | null;
  /** Why the row's numbers are stale (made before a fix they depend on, lib/eval/result_code.ts); absent when current. */
  stale?: string;
}

/**
 * A run's results.json, and a baseline's per-evaluation `results-<name>.json` (SRN+U-Net writes results-single.json
 * and results-multi.json): the seed's results.json is rewritten by whichever kinds ran last in its folder (columns
 * 4–5 then 6, say), so a row must also be found in the file its own evaluation wrote.
 */
const RESULTS_FILE = /^results(-[\w-]+)?\.json$/;

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
    else if (RESULTS_FILE.test(f)) out.push(p);
  }
}

type Json = Record<string, unknown>;

/** What a run did, against what its scale's preset prescribes, for `table1Exclusion`. */
export interface RunProtocol {
  pretrainSteps: number;
  probeSteps: number;
  fitSteps: number;
  trainObjects: number;
  testObjects: number;
}

/**
 * Why a run is not a Table 1 row of its scale (undefined when it is): a row must have run the preset's whole
 * protocol — all pre-training steps, the probe's and fits' step counts, the preset's training and test objects. A
 * short smoke run or an IoU-against-steps point at an earlier checkpoint scores something else, and as the newest
 * row of its seed it would silently replace the real one.
 */
export function table1Exclusion(run: RunProtocol, reference: RunProtocol): string | undefined {
  const short = (Object.keys(reference) as (keyof RunProtocol)[]).filter((k) => run[k] !== reference[k]);
  if (short.length === 0) return undefined;
  return `not the scale's protocol: ${short.map((k) => `${k} ${run[k]} (the preset's: ${reference[k]})`).join(', ')}`;
}

/** Table 1 rows found in one results.json (empty if it holds none). */
export function table1RowsOf(path: string, doc: Json): Table1Row[] {
  // Written before runs recorded their exclusion: a pre-training cut short (an IoU-against-steps point, a
  // `--steps pretrain=N` run) is not a row of its scale.
  const pretrainSteps = (doc.training as Json | undefined)?.pretrainSteps;
  const preset = (doc.config as Json | undefined)?.preset;
  if (typeof pretrainSteps === 'number' && typeof preset === 'string' && PRESET_NAMES.includes(preset as never)) {
    if (pretrainSteps < scheduleSteps(presetConfig(preset).training.pretrain.schedule)) return [];
  }
  const scale = typeof doc.scale === 'string' ? doc.scale : ((doc.config as Json | undefined)?.preset as string | undefined) ?? null;
  const createdAt = typeof doc.createdAt === 'string' ? doc.createdAt : null;
  const entries: Json[] = Array.isArray(doc.table1) ? (doc.table1 as Json[]) : doc.table1 && typeof doc.table1 === 'object' ? [doc.table1 as Json] : [];
  const rows: Table1Row[] = [];
  for (const e of entries) {
    // Entries written before ids existed name the paper column number.
    const id = typeof e.id === 'string' ? (e.id as Table1ColumnId) : PAPER_TABLE1.find((p) => p.column === e.column)?.id;
    if (!id || !TABLE1_COLUMN_IDS.includes(id) || typeof e.mIOU !== 'number') continue;
    const stale = staleColumnResult(id, e.codeVersions ?? doc.codeVersions);
    rows.push({
      id,
      column: paperColumn(id).column,
      method: String(e.method ?? ''),
      protocol: String(e.protocol ?? ''),
      className: String(e.className ?? ''),
      mIOU: e.mIOU,
      shapeMIOU: typeof e.shapeMIOU === 'number' ? e.shapeMIOU : NaN,
      source: path,
      scale: typeof e.scale === 'string' ? e.scale : scale,
      seed: typeof e.seed === 'number' ? e.seed : 0,
      createdAt,
      ...(stale ? { stale } : {}),
    });
  }
  // Files written before table1 entries existed; a file that says `table1: null` (e.g. `table1Excluded`) is none.
  if (rows.length === 0 && !('table1' in doc) && doc.schema === 'semantic-srn/eval-results@1' && typeof doc.method === 'string' && typeof doc.mIOU === 'number') {
    const protocol = String((doc.protocol as Json | undefined)?.name ?? '');
    const id = legacyTable1Column(doc.method, protocol);
    if (id !== null) {
      const stale = staleColumnResult(id, doc.codeVersions);
      rows.push({
        id,
        column: paperColumn(id).column,
        method: doc.method,
        protocol,
        className: String((doc.dataset as Json | undefined)?.className ?? ''),
        mIOU: doc.mIOU,
        shapeMIOU: typeof doc.shapeMIOU === 'number' ? doc.shapeMIOU : NaN,
        source: path,
        scale,
        seed: 0,
        createdAt,
        ...(stale ? { stale } : {}),
      });
    }
  }
  return rows;
}

/** Every Table 1 row under `runsDir` (results.json and results-<name>.json files up to 4 folders deep). */
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

/**
 * One row per (column, class, seed): rows of the chosen scale only when it has any for that column and class (seeds
 * of two scales are never averaged), then per seed the newest current row (a stale one only where no current one exists).
 */
export function pickTable1Rows(rows: readonly Table1Row[], scale?: string): Table1Row[] {
  const cell = (r: Table1Row) => `${r.id}/${r.className.toLowerCase()}`;
  // A current row beats a stale one (made before a fix it depends on) whatever their dates; then the newer.
  const newer = (a: Table1Row, b: Table1Row) => (!a.stale !== !b.stale ? !a.stale : (a.createdAt ?? '') > (b.createdAt ?? ''));
  // The scale each cell reports: the chosen one where the cell has it, else that of the cell's newest row.
  const cellScale = new Map<string, string | null>();
  const newest = new Map<string, Table1Row>();
  for (const r of rows) {
    const n = newest.get(cell(r));
    if (!n || newer(r, n)) newest.set(cell(r), r);
    if (scale !== undefined && r.scale === scale) cellScale.set(cell(r), scale);
  }
  for (const [k, r] of newest) if (!cellScale.has(k)) cellScale.set(k, r.scale);
  const best = new Map<string, Table1Row>();
  for (const r of rows) {
    if (r.scale !== cellScale.get(cell(r))) continue;
    const k = `${cell(r)}/${r.seed}`;
    const cur = best.get(k);
    if (!cur || newer(r, cur)) best.set(k, r);
  }
  return [...best.values()].sort((a, b) => a.column - b.column || a.className.localeCompare(b.className) || a.seed - b.seed);
}

export interface Table1Record extends ResultRecord {
  id: Table1ColumnId;
  column: number;
  method: string;
  class: string;
  /** Mean over the replicate seeds (one seed: its value). */
  'ours mIOU %': number | null;
  /** Half-width of the 95% CI of that mean (Student's t over seeds); null for one seed. */
  'ours mIOU ± CI95': number | null;
  'ours shape-mIOU %': number | null;
  'ours shape-mIOU ± CI95': number | null;
  /** The seeds averaged, comma-separated ('' where we have no row). */
  seeds: string;
  /** The seeds among them whose result is stale (made before a fix its numbers depend on), comma-separated; '' when none. */
  'stale seeds': string;
  'paper mIOU %': number | null;
  'paper shape-mIOU %': number | null;
  scale: string | null;
  /** The results.json of each seed, ';'-separated. */
  source: string | null;
  /** Set on rows of the `small` scale, whose numbers only show that the pipeline runs. */
  note: string | null;
}

/** The `small` scale (tiny model, 8² renders, a few objects) is CI's smoke test: its numbers are not results. */
export const SMOKE_TEST_NOTE = 'smoke test (small scale): not comparable to the paper';

/**
 * Our rows beside the paper's, one record per (column, class) the paper or we have: the mean over the rows' seeds
 * (pickTable1Rows keeps one row per seed) with the 95% CI of the mean, in %.
 */
/** Which of a cell's rows are stale and why (one reason per distinct cause), or null. */
function staleNote(rows: readonly Table1Row[]): string | null {
  const stale = rows.filter((r) => r.stale);
  if (!stale.length) return null;
  return `STALE, seed(s) ${stale.map((r) => r.seed).join(',')}: ${[...new Set(stale.map((r) => r.stale))].join('; ')}`;
}

export function table1Records(rows: readonly Table1Row[], classes: readonly string[] = ['Chair']): Table1Record[] {
  const out: Table1Record[] = [];
  const stat = (xs: number[]) => (xs.some(Number.isFinite) ? meanCI(xs) : null);
  for (const pc of PAPER_TABLE1) {
    for (const cls of classes) {
      const paper = cls.toLowerCase() === 'table' ? pc.table : pc.chair;
      const ours = rows.filter((r) => r.id === pc.id && r.className.toLowerCase() === cls.toLowerCase());
      const m = stat(ours.map((r) => r.mIOU));
      const sm = stat(ours.map((r) => r.shapeMIOU));
      out.push({
        id: pc.id,
        column: pc.column,
        method: pc.label,
        class: cls,
        'ours mIOU %': pct1(m?.mean),
        'ours mIOU ± CI95': pct1(m?.ci95),
        'ours shape-mIOU %': pct1(sm?.mean),
        'ours shape-mIOU ± CI95': pct1(sm?.ci95),
        seeds: ours.map((r) => r.seed).join(','),
        'stale seeds': ours.filter((r) => r.stale).map((r) => r.seed).join(','),
        'paper mIOU %': paper ? paper[0] : null,
        'paper shape-mIOU %': paper ? paper[1] : null,
        scale: ours[0]?.scale ?? null,
        source: ours.length ? ours.map((r) => r.source).join(';') : null,
        note: [ours[0]?.scale === 'small' ? SMOKE_TEST_NOTE : null, staleNote(ours)].filter((n) => n !== null).join('; ') || null,
      });
    }
  }
  return out;
}

/** A column's scores minus another's for one class, paired by seed, in points. */
export interface Table1Difference {
  class: string;
  /** The column subtracted from the reference (SRN+linear). */
  against: Table1ColumnId;
  column: number;
  method: string;
  seeds: number[];
  /** The seeds whose difference uses a stale row (either side): made before a fix its numbers depend on. */
  staleSeeds: number[];
  mIOU: PercentCI | null;
  shapeMIOU: PercentCI | null;
}

/**
 * The reference column (SRN+linear) minus every other column, per class, paired by seed: a seed draws the 30 labelled
 * images that columns 1–3 share and seeds every training and fit, so each seed gives one difference, and the
 * interval of their mean leaves out the spread the draw puts into both columns' own intervals.
 */
export function table1Differences(rows: readonly Table1Row[], classes: readonly string[], reference: Table1ColumnId = 'srn-linear'): Table1Difference[] {
  const of = (id: Table1ColumnId, cls: string) => new Map(rows.filter((r) => r.id === id && r.className.toLowerCase() === cls.toLowerCase()).map((r) => [r.seed, r]));
  return classes.flatMap((cls) =>
    PAPER_TABLE1.filter((pc) => pc.id !== reference).flatMap((pc) => {
      const [ref, other] = [of(reference, cls), of(pc.id, cls)];
      const d = pairedScoreDifference(ref, other);
      if (!d) return [];
      const staleSeeds = d.keys.filter((k) => ref.get(k)?.stale || other.get(k)?.stale);
      return [{ class: cls, against: pc.id, column: pc.column, method: pc.label, seeds: d.keys, staleSeeds, mIOU: d.mIOU, shapeMIOU: d.shapeMIOU }];
    }),
  );
}

/** The differences as Markdown: one line per class and column, and where the mIOU interval excludes 0. */
export function table1DifferenceMarkdown(diffs: readonly Table1Difference[], reference: Table1ColumnId = 'srn-linear'): string[] {
  if (!diffs.length) return [];
  const cell = (d: PercentCI | null) => (d ? `${signedCI(d)} (n=${d.n})` : '—');
  const apart = diffs.filter((d) => d.mIOU && excludesZero(d.mIOU));
  const ref = paperColumn(reference);
  const seeds = (d: Table1Difference) => `${d.seeds.join(', ')}${d.staleSeeds.length ? ` (STALE: ${d.staleSeeds.join(', ')})` : ''}`;
  const anyStale = diffs.some((d) => d.staleSeeds.length);
  return [
    `| ${ref.column} ${ref.label} minus | class | mIOU difference | shape-mIOU difference | seeds |`,
    '|---|---|---|---|---|',
    ...diffs.map((d) => `| ${d.column} ${d.method} | ${d.class} | ${cell(d.mIOU)} | ${cell(d.shapeMIOU)} | ${seeds(d)} |`),
    '',
    `The mIOU interval excludes 0 for ${apart.length} of ${diffs.length}${apart.length ? `: ${apart.map((d) => `${d.class.toLowerCase()}s column ${d.column} (${d.mIOU!.mean > 0 ? `column ${ref.column} ahead` : `column ${d.column} ahead`})`).join(', ')}` : ''}.`,
    ...(anyStale ? ['', 'STALE seeds pair a row made before a fix its numbers depend on (the table above says which and why).'] : []),
    '',
  ];
}

/** Short method names for chart axes, by column id. */
const SHORT_LABEL: Record<Table1ColumnId, string> = {
  'tco-linear': '1 TCO+linear',
  'srn-linear': '2 SRN+linear',
  'unet-30shot': '3 U-Net, 30 images',
  'srn-unet-single': '4 SRN+U-Net single',
  'srn-unet-multi': '5 SRN+U-Net multi',
  'unet-oracle': '6 U-Net, all data',
};

/**
 * Ours beside the paper per Table 1 column: two panels (mIOU, shape-mIOU), method names on the axis, grouped bars
 * (ours per class, paper per class) and our 95% CI over seeds as error bars where there is more than one seed.
 */
export function table1ChartSpec(records: readonly Table1Record[], title = 'Table 1: ours vs paper'): TopLevelSpec {
  const values = records.flatMap((r) => {
    const method = SHORT_LABEL[r.id];
    const cls = r.class.toLowerCase();
    const out: Record<string, unknown>[] = [];
    const add = (metric: string, who: string, v: number | null, ci: number | null) => {
      const stale = who === 'ours' ? r['stale seeds'] : '';
      if (v !== null) out.push({ method, metric, who: `${who}, ${cls}`, value: v, lo: ci === null ? null : v - ci, hi: ci === null ? null : v + ci, seeds: who === 'ours' ? r.seeds : '', stale });
    };
    add('mIOU (%)', 'ours', r['ours mIOU %'], r['ours mIOU ± CI95']);
    add('shape-mIOU (%)', 'ours', r['ours shape-mIOU %'], r['ours shape-mIOU ± CI95']);
    add('mIOU (%)', 'paper', r['paper mIOU %'], null);
    add('shape-mIOU (%)', 'paper', r['paper shape-mIOU %'], null);
    return out;
  });
  const x = { field: 'method', type: 'nominal', title: null, sort: Object.values(SHORT_LABEL), axis: { labelAngle: -30 } };
  // A bar averaging a stale seed is faded and the title says so; the table's note says which and why.
  const anyStale = values.some((v) => v.stale !== '');
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: anyStale ? { text: title, subtitle: 'faded bars include stale seeds (made before a fix; see the table)' } : title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['mIOU (%)', 'shape-mIOU (%)'] } },
    spec: {
      // No fixed width: with one, vega-lite 5 gives the xOffset band no room and the bars render as hairlines.
      height: 220,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x,
            xOffset: { field: 'who' },
            y: { field: 'value', type: 'quantitative', title: '%', scale: { domain: [0, 100] } },
            color: { field: 'who', type: 'nominal', title: '' },
            opacity: { condition: { test: "datum.stale !== ''", value: 0.35 }, value: 1 },
            tooltip: [{ field: 'method' }, { field: 'who' }, { field: 'value', format: '.1f' }, { field: 'lo', format: '.1f' }, { field: 'hi', format: '.1f' }, { field: 'seeds' }, { field: 'stale', title: 'stale seeds' }],
          },
        },
        {
          mark: { type: 'rule', color: 'black' },
          transform: [{ filter: 'datum.lo != null' }],
          encoding: { x, xOffset: { field: 'who' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Table 1 as Markdown: ours (mean ± 95% CI over seeds, the seeds) beside the paper, one line per column and class. */
export function table1Markdown(records: readonly Table1Record[]): string {
  const f = (v: number | null, ci: number | null = null) => (v === null ? '—' : ci === null ? v.toFixed(1) : `${v.toFixed(1)} ± ${ci.toFixed(1)}`);
  const lines = [
    '| col | method | class | ours mIOU % | ours shape-mIOU % | seeds | paper mIOU % | paper shape-mIOU % | scale |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of records) {
    lines.push(
      `| ${r.column} | ${r.method} | ${r.class} | ${f(r['ours mIOU %'], r['ours mIOU ± CI95'])} | ${f(r['ours shape-mIOU %'], r['ours shape-mIOU ± CI95'])} | ${r.seeds || '—'} | ` +
        `${f(r['paper mIOU %'])} | ${f(r['paper shape-mIOU %'])} | ${r.scale ?? '—'}${r.note ? ` (${r.note})` : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Per-class IoU of each Table 1 row, read back from the row's results.json: an evaluation file's
 * `perClassIoU`, or the matching entry of an experiment's `rows` (the baselines' summary).
 */
export function table1ClassRecords(rows: readonly Table1Row[]): ClassIouRecord[] {
  // Several seeds of one method: the mean per class over the seeds that scored it.
  const sums = new Map<string, { method: string; className: string; values: number[] }>();
  for (const r of rows) {
    if (!existsSync(r.source)) continue;
    const doc = JSON.parse(readFileSync(r.source, 'utf8')) as Json;
    const entry = (Array.isArray(doc.rows) ? (doc.rows as Json[]) : []).find((e) => e.method === r.method && e.protocol === r.protocol);
    const per = (entry?.perClassIoU ?? doc.perClassIoU) as Record<string, number | null> | undefined;
    if (!per || typeof per !== 'object') continue;
    const method = `${r.column}: ${r.method}${r.protocol === 'multi' ? ' (multi)' : ''}`;
    for (const [className, iou] of Object.entries(per)) {
      if (typeof iou !== 'number') continue;
      const k = `${method}\u0000${className}`;
      if (!sums.has(k)) sums.set(k, { method, className, values: [] });
      sums.get(k)!.values.push(iou);
    }
  }
  return [...sums.values()].map(({ method, className, values }) => ({ method, className, iou: values.reduce((a, b) => a + b, 0) / values.length }));
}
