/**
 * Publishes Table 1 from a runs folder: `npx tsx scripts/publish-table1.ts --runs DIR --scale cpu64 --classes chair,table
 * --seeds 0,1,2 --command "…" [--command "…"] [--name table-1] [--note "…"] [--commits-from table-1] [--compare-to table-1]`.
 * Writes docs/results/NAME.json (every row with its seed, per-part IoU, both shape-mIOUs, wall time, commit and backend;
 * mean ± 95% CI per column, class and part), NAME.md and NAME.png (mIOU and shape-mIOU panels, method names on the
 * axis), and copies each row's results.json under docs/results/NAME/runs/ at its path relative to DIR, so that
 * `cp -r docs/results/NAME/runs/. <runs>/` restores the rows and `experiment table-1` runs only what is missing.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TABLE1_COLUMN_IDS, type Table1ColumnId, collectTable1Rows, paperColumn, pickTable1Rows, table1ChartSpec, table1DifferenceMarkdown, table1Differences, table1Markdown, table1Records } from '../lib/eval/table1';
import { rowDetail, type RowDetail } from '../lib/eval/table1_detail';
import { asPublishedTable1, changedCells, changedCellsMarkdown, type PublishedTable1 } from '../lib/eval/table1_compare';
import { staleKindResult } from '../lib/eval/result_code';
import { perObjectScores, type PerObject } from '../lib/eval/object_kind';
import { rendersFolder } from '../lib/baselines/run';
import { classFolder, type SyntheticClass } from '../lib/data/synthetic/classes';
import { formatMeanCI, pct1, percentCI, type PercentCI } from '../lib/metrics/stats';
import { saveFigure } from '../lib/plotting/save';
import { writeFileAtomic, writeJsonAtomic } from '../lib/util/atomic_write';
import { journalSize } from '../lib/util/record_journal';
import { readEarlierPublication } from '../lib/util/earlier_publication';

type Json = Record<string, unknown>;

const readJson = (p: string): Json => JSON.parse(readFileSync(p, 'utf8')) as Json;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The evaluation journals (`*.partial.json`, not ones set aside) under the per-seed runs of these classes and seeds at
 * `scale`: SRN+U-Net (unet-baselines) and SRN+linear (semi-supervised-probe, single or multi view).
 */
export function evaluationJournals(runs: string, scale: string, classes: readonly string[], seeds: readonly number[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.partial.json')) out.push(p);
    }
  };
  for (const experiment of ['unet-baselines', 'semi-supervised-probe']) {
    const root = join(runs, experiment, scale);
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root).sort()) {
      const m = /^([a-z]+)(?:-multi)?-seed(\d+)$/.exec(d);
      if (m && classes.includes(m[1]) && seeds.includes(Number(m[2]))) walk(join(root, d));
    }
  }
  return out;
}

/** Mean ± 95% CI (%) of the finite values, null when there is none (a part a seed did not score, a score older files lack). */
export function finiteCI(values: readonly (number | null)[]): PercentCI | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length ? percentCI(xs) : null;
}

/** Mean ± 95% CI per part over the seeds of one (column, class), in %. */
export function partStats(details: readonly RowDetail[]): Record<string, PercentCI> {
  const parts = [...new Set(details.flatMap((d) => Object.keys(d.perClassIoU)))];
  const out: Record<string, PercentCI> = {};
  for (const p of parts) {
    const ci = finiteCI(details.map((d) => d.perClassIoU[p] ?? null));
    if (ci) out[p] = ci;
  }
  return out;
}

/**
 * The qualitative figure of a row's first test object (`test_00_*.png`: input, predicted and true labels over four
 * views) beside its evaluation file: a baseline's under `renders/<method>-<protocol>/`, SRN+linear's under
 * `renders/`. Null when the run kept none.
 */
export function rowRenderGrid(evaluation: string, method: string, protocol: string): string | null {
  const root = join(dirname(evaluation), 'renders');
  for (const d of [join(root, rendersFolder(method, protocol)), root]) {
    if (!existsSync(d)) continue;
    const png = readdirSync(d).filter((f) => /^test_00_.*\.png$/.test(f)).sort()[0];
    if (png) return join(d, png);
  }
  return null;
}

/** One seed's run of a supplement row (outside Table 1): the multi-shot SRN+linear or the U-Net on rendered RGB. */
export interface SupplementRow {
  className: string;
  seed: number;
  mIOU: number;
  shapeMIOU: number;
  detail: RowDetail;
  source: string;
  /** Why its numbers are stale (made before a fix they depend on, lib/eval/result_code.ts); absent when current. */
  stale?: string;
}

/** The supplement's rows a published Table 1 shows beside it, each with where its runs are and what they must hold. */
export const SUPPLEMENTS = {
  // `experiment semi-supervised-probe --protocol multi`: the code fitted to 50 views instead of one.
  multiShotSrnLinear: {
    title: 'Supplement: multi-shot SRN+linear (the code fitted to 50 views, not one; not a Table 1 column)',
    what: 'multi-view semi-supervised-probe',
    file: (scale: string, c: string, seed: number) => join('semi-supervised-probe', scale, `${c}-multi-seed${seed}`, 'results.json'),
    method: 'srn+linear',
    protocol: 'multi',
    // SRN+linear's wall leaves out the shared pre-training.
    id: 'srn-linear',
  },
  // `experiment unet-baselines` kind srn-render-unet: a 2-D U-Net on the semantic SRN's renders of the fitted code.
  renderedRgbUnet: {
    title: "Supplement: SRN+U-Net as the supplement defines it, a 2-D U-Net on the semantic SRN's rendered RGB (code fitted to view 65; not a Table 1 column)",
    what: 'srn-render-unet',
    file: (scale: string, c: string, seed: number) => join('unet-baselines', scale, `${c}-seed${seed}`, 'srn-render-unet', 'results-rendered-unet.json'),
    method: 'srn-render+unet2d',
    protocol: 'single',
    // Its wall is the run's total: its own U-Net training, fits and evaluation (the semantic SRN is loaded, not trained).
    id: 'unet-oracle',
  },
} as const satisfies Record<string, { title: string; what: string; file: (scale: string, c: string, seed: number) => string; method: string; protocol: string; id: Table1ColumnId }>;
export type SupplementKey = keyof typeof SUPPLEMENTS;

/** The runs of one supplement row under `runs` for the given classes and seeds; seeds not run are skipped. */
export function collectSupplement(key: SupplementKey, runs: string, scale: string, classes: readonly string[], seeds: readonly number[]): SupplementRow[] {
  const spec = SUPPLEMENTS[key];
  const out: SupplementRow[] = [];
  for (const c of classes) {
    for (const seed of seeds) {
      const source = join(runs, spec.file(scale, c, seed));
      if (!existsSync(source)) continue;
      const doc = readJson(source);
      const protocol = (doc.protocol as Json | undefined)?.name;
      if (doc.method !== spec.method || protocol !== spec.protocol || num(doc.mIOU) === null) {
        throw new Error(`${source}: expected a finished ${spec.what} results.json (method '${spec.method}', protocol.name '${spec.protocol}', a numeric mIOU)`);
      }
      const className = String((doc.dataset as Json | undefined)?.className ?? c);
      const stale = staleKindResult(basename(dirname(source)), doc.codeVersions);
      out.push({ className, seed, mIOU: doc.mIOU as number, shapeMIOU: num(doc.shapeMIOU) ?? NaN, detail: rowDetail({ source, id: spec.id, method: spec.method, protocol: spec.protocol }), source, ...(stale ? { stale } : {}) });
    }
  }
  return out;
}

/** The multi-shot SRN+linear runs (folders `semi-supervised-probe/<scale>/<class>-multi-seed<s>/`). */
export const collectMultiShot = (runs: string, scale: string, classes: readonly string[], seeds: readonly number[]) => collectSupplement('multiShotSrnLinear', runs, scale, classes, seeds);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' }, scale: { type: 'string' }, classes: { type: 'string', default: 'chair' }, seeds: { type: 'string' },
      command: { type: 'string', multiple: true }, name: { type: 'string', default: 'table-1' }, note: { type: 'string', multiple: true },
      // The generated data, for each test object's kind (its parts) in the per-object section, where a row's own
      // data root (recorded in its results) is not on this machine.
      data: { type: 'string', default: resolve(__dirname, '..', '.cache', 'data-128') },
      // Other publications (names under docs/results) whose rows lend their commit to the same run here, where neither
      // this run's MLflow store nor this publication's previous version names it (an interim table's restored rows).
      'commits-from': { type: 'string', multiple: true },
      // A publication to compare with (an interim table's first run: its NAME; this one's earlier version: a git
      // revision or a file): the cells whose rows differ, there → here.
      'compare-to': { type: 'string' },
    },
  });
  if (!values.runs || !values.scale || !values.seeds || !values.command) {
    throw new Error('usage: publish-table1.ts --runs DIR --scale SCALE --seeds 0,1,2 --command "…" [--command "…"] [--classes chair,table] [--name table-1] [--note "…"] [--commits-from NAME] [--compare-to NAME|REV|FILE]');
  }
  if (!/^[\w.-]+$/.test(values.name!)) throw new Error(`--name: letters, digits, '.', '_' or '-', got '${values.name}'`);
  const runs = resolve(values.runs);
  const seeds = values.seeds.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--seeds: non-negative integers separated by commas, got '${values.seeds}'`);
    return n;
  });
  const classes = values.classes!.split(',').map((c) => c.trim().toLowerCase());
  for (const c of classes) if (c !== 'chair' && c !== 'table') throw new Error(`--classes: chair and/or table, got '${c}'`);
  const cap = (c: string) => classFolder(c as SyntheticClass);
  const rows = pickTable1Rows(collectTable1Rows(runs), values.scale).filter(
    (r) => r.scale === values.scale && seeds.includes(r.seed) && classes.includes(r.className.toLowerCase()),
  );
  if (!rows.length) throw new Error(`${runs}: no Table 1 row at scale '${values.scale}' for seeds ${values.seeds} and class(es) ${classes.join(',')}`);

  const docs = resolve(__dirname, '..', 'docs', 'results');
  const copyRoot = join(docs, values.name!, 'runs');
  rmSync(copyRoot, { recursive: true, force: true });
  const copyIn = (path: string) => {
    const rel = relative(runs, path);
    mkdirSync(dirname(join(copyRoot, rel)), { recursive: true });
    copyFileSync(path, join(copyRoot, rel));
    return rel;
  };
  const previousPath = join(docs, `${values.name}.json`);
  const previous = existsSync(previousPath) ? readJson(previousPath) : {};
  // Read before anything is written: `--compare-to` may name this publication itself (republished in place).
  const compareTo = values['compare-to'] === undefined ? null : readComparedTable1(docs, values['compare-to'], values.name!, resolve(__dirname, '..'));
  const refs = commitRefs([previous, ...(values['commits-from'] ?? []).map((n) => readPublication(docs, n, '--commits-from'))]);
  const published = rows.map((r) => {
    const d = rowDetail(r);
    // Restored from git, a run has no MLflow store here to name its commit: the one published for it before stays.
    // So does the commit of a row re-read whole from its journal (rescored): its fits ran at the one published before.
    const before = carriedCommit(refs.rows, { column: r.column, className: r.className, seed: r.seed, protocol: r.protocol, 'mIOU %': pct1(r.mIOU) });
    d.commit = (d.rescored ? before : null) ?? d.commit ?? before;
    // A baseline summary's row also carries the evaluation file it points at: restored, that kind counts as run
    // (finishedBaseline) and is not trained again.
    if (d.evaluation !== r.source && !relative(runs, d.evaluation).startsWith('..')) copyIn(d.evaluation);
    return { row: r, detail: d, rel: copyIn(r.source) };
  });
  // Evaluations a stopped run left journalled (lib/eval/runner.ts; SRN+U-Net keeps them until both protocols are
  // done): carried too, so that the same command on another machine resumes them instead of starting over.
  const journals = evaluationJournals(runs, values.scale!, classes, seeds).map((path) => ({ rel: copyIn(path), objects: journalSize(path) }));
  // The first seed's renders of each row: one test object seen by every method.
  const rendersRoot = join(docs, values.name!, 'renders');
  const previousRenders = (previous.renders as RenderEntry[] | undefined) ?? [];
  const renders = published.filter((p) => p.row.seed === seeds[0]).flatMap((p) => {
    const file = `${p.row.className.toLowerCase()}-col${p.row.column}-seed${p.row.seed}.png`;
    const grid = rowRenderGrid(p.detail.evaluation, p.row.method, p.row.protocol);
    if (!grid) return keptRender(previousRenders, rendersRoot, `docs/results/${values.name}/renders/${file}`);
    mkdirSync(rendersRoot, { recursive: true });
    copyFileSync(grid, join(rendersRoot, file));
    return [{ className: p.row.className, column: p.row.column, method: p.row.method, protocol: p.row.protocol, seed: p.row.seed, object: basename(grid, '.png').replace(/^test_00_/, ''), file: `docs/results/${values.name}/renders/${file}` }];
  }).sort((a, b) => a.className.localeCompare(b.className) || a.column - b.column);
  // Figures of rows no longer published go.
  for (const f of existsSync(rendersRoot) ? readdirSync(rendersRoot) : []) if (!renders.some((r) => basename(r.file) === f)) rmSync(join(rendersRoot, f));
  const supplements = (Object.keys(SUPPLEMENTS) as SupplementKey[]).map((key) => ({
    key,
    rows: collectSupplement(key, runs, values.scale!, classes, seeds).map((m) => {
      const rel = relative(runs, m.source);
      mkdirSync(dirname(join(copyRoot, rel)), { recursive: true });
      copyFileSync(m.source, join(copyRoot, rel));
      m.detail.commit ??= carriedCommit(refs.supplement(key), { className: m.className, seed: m.seed, 'mIOU %': pct1(m.mIOU) });
      return { ...m, rel };
    }),
  }));
  const records = table1Records(rows, classes.map(cap));
  const cells = TABLE1_COLUMN_IDS.flatMap((id) => classes.map((c) => ({ id, className: cap(c), mine: published.filter((p) => p.row.id === id && p.row.className.toLowerCase() === c) })));
  const missing = cells.filter((c) => seeds.some((s) => !c.mine.some((p) => p.row.seed === s))).map((c) => ({ column: paperColumn(c.id).column, id: c.id, className: c.className, seedsMissing: seeds.filter((s) => !c.mine.some((p) => p.row.seed === s)) }));
  const supplementSections = (key: SupplementKey): SupplementSection[] => classes.map(cap).flatMap((cls) => {
    const mine = supplements.find((x) => x.key === key)!.rows.filter((m) => m.className === cls);
    if (!mine.length) return [];
    return [{
      className: cls, seeds: mine.map((m) => m.seed), mIOU: percentCI(mine.map((m) => m.mIOU)), shapeMIOU: percentCI(mine.map((m) => m.shapeMIOU)), parts: partStats(mine.map((m) => m.detail)),
      rows: mine.map((m) => ({
        seed: m.seed, 'mIOU %': pct1(m.mIOU), 'shape-mIOU %': pct1(m.shapeMIOU), 'shape-mIOU present-classes %': pct1(m.detail.shapeMIOUPresent),
        perClassIoU: Object.fromEntries(Object.entries(m.detail.perClassIoU).map(([k, v]) => [k, pct1(v)])),
        wallSeconds: m.detail.wallSeconds === null ? null : Math.round(m.detail.wallSeconds), commit: m.detail.commit, backend: m.detail.backend, source: `docs/results/${values.name}/runs/${m.rel}`,
        ...(m.stale ? { stale: m.stale } : {}),
      })),
    }];
  });
  // SRN+linear minus every other column, paired by seed (lib/eval/table1.ts table1Differences).
  const differences = table1Differences(rows, classes.map(cap));
  const publishedRows = published.map(({ row, detail, rel }) => ({
    column: row.column, id: row.id, method: row.method, protocol: row.protocol, className: row.className, seed: row.seed,
    'mIOU %': pct1(row.mIOU), 'shape-mIOU %': pct1(row.shapeMIOU), 'shape-mIOU present-classes %': pct1(detail.shapeMIOUPresent),
    perClassIoU: Object.fromEntries(Object.entries(detail.perClassIoU).map(([k, v]) => [k, pct1(v)])),
    wallSeconds: detail.wallSeconds === null ? null : Math.round(detail.wallSeconds),
    pretrainSecondsInRun: detail.pretrainSeconds === null ? null : Math.round(detail.pretrainSeconds), commit: detail.commit, backend: detail.backend,
    createdAt: row.createdAt, source: `docs/results/${values.name}/runs/${rel}`,
    ...(row.stale ? { stale: row.stale } : {}),
  }));
  const changedSince = compareTo && { name: compareTo.name, from: compareTo.where, cells: changedCells(compareTo.doc, { rows: publishedRows, records, differences }) };
  const doc = {
    schema: 'semantic-srn/table-1-published@1',
    scale: values.scale,
    data: 'synthetic: the built-in generated objects (docs/synthetic-data.md), not ShapeNet/PartNet; levels are not comparable to the paper, orderings are',
    seeds,
    classes: classes.map(cap),
    commands: values.command,
    notes: values.note ?? [],
    records,
    differences,
    perPart: cells.filter((c) => c.mine.length).map((c) => ({ column: paperColumn(c.id).column, id: c.id, className: c.className, seeds: c.mine.map((p) => p.row.seed), shapeMIOUPresent: finiteCI(c.mine.map((p) => p.detail.shapeMIOUPresent)), parts: partStats(c.mine.map((p) => p.detail)) })),
    rows: publishedRows,
    missing,
    journals: journals.map((j) => ({ source: `docs/results/${values.name}/runs/${j.rel}`, objects: j.objects })),
    renders,
    perObject: classes.map(cap).flatMap((cls) => perObjectScores(published.filter((p) => p.row.className === cls && p.row.seed === seeds[0]).map((p) => ({ column: p.row.column, method: p.row.method, protocol: p.row.protocol, evaluation: p.detail.evaluation })), values.data!)),
    ...(changedSince ? { changedSince } : {}),
    // The supplement's rows outside Table 1 (SUPPLEMENTS), one section per class.
    multiShotSrnLinear: supplementSections('multiShotSrnLinear'),
    renderedRgbUnet: supplementSections('renderedRgbUnet'),
    publishedAt: new Date().toISOString(),
  };
  writeJsonAtomic(join(docs, `${values.name}.json`), doc);
  const fig = await saveFigure(table1ChartSpec(records, `Table 1 (${values.scale}, synthetic ${classes.join(' + ')}, seeds ${values.seeds}) vs paper`), join(docs, values.name!));
  rmSync(fig.html, { force: true });
  rmSync(fig.svg, { force: true });
  const f1 = (v: number | null) => (v === null ? '—' : v.toFixed(1));
  // One table of rows per class, with that class's parts as columns.
  const rowTables = classes.map(cap).flatMap((cls) => {
    const mine = doc.rows.filter((r) => r.className === cls);
    if (!mine.length) return [];
    const partNames = [...new Set(mine.flatMap((r) => Object.keys(r.perClassIoU)))];
    return [
      `### ${cls}s`,
      '',
      `| col | seed | mIOU | shape-mIOU | shape-mIOU (present classes) | ${partNames.join(' | ')} | wall | backend | commit | source |`,
      `|---|---|---|---|---|${partNames.map(() => '---|').join('')}---|---|---|---|`,
      ...mine.map((r) => `| ${r.column} ${r.method}${r.protocol === 'multi' ? ' (multi)' : ''} | ${r.seed}${r.stale ? ' STALE' : ''} | ${f1(r['mIOU %'])} | ${f1(r['shape-mIOU %'])} | ${f1(r['shape-mIOU present-classes %'])} | ${partNames.map((p) => f1(r.perClassIoU[p] ?? null)).join(' | ')} | ${r.wallSeconds === null ? '—' : `${r.wallSeconds} s`} | ${r.backend ?? '—'} | ${r.commit ? r.commit.slice(0, 7) : '—'} | \`${r.source.replace(`docs/results/${values.name}/`, '')}\` |`),
      '',
    ];
  });
  const md = [
    `# Table 1 at scale \`${values.scale}\` — ${classes.join(', ')}, seeds ${values.seeds}`,
    '',
    `**Synthetic data** (built-in generated objects, docs/synthetic-data.md): compare orderings with the paper, not levels.`,
    `Commands: ${values.command.map((c) => `\`${c}\``).join('; ')}.`,
    ...(values.note ?? []).map((n) => `\n${n}`),
    '',
    '## Mean ± 95% CI over seeds (Student\'s t), beside the paper',
    '',
    table1Markdown(records),
    ...presentMarkdown(doc.perPart),
    ...(doc.differences.length
      ? ['## SRN+linear minus each column, paired by seed', '', 'Each seed draws the 30 labelled images that columns 1–3 share and seeds every training and fit: the mean ± 95% CI (Student\'s t) of the per-seed differences, in points, leaves out the spread the draw puts into both columns\' own intervals above.', '', ...table1DifferenceMarkdown(doc.differences)]
      : []),
    ...(changedSince ? changedCellsMarkdown(changedSince.name, changedSince.cells, changedSince.from) : []),
    '## Every row',
    '',
    ...rowTables,
    ...(Object.keys(SUPPLEMENTS) as SupplementKey[]).flatMap((key) => supplementMarkdown(SUPPLEMENTS[key].title, doc[key], values.name!)),
    ...perObjectMarkdown(doc.perObject),
    ...rendersMarkdown(renders),
    'Wall: the row\'s own work (probe or training, fits, evaluation); the SRN pre-training an SRN+linear row shares with other rows is not counted, a TCO row\'s own pre-training is; an SRN+U-Net row is its protocol\'s code fits and evaluation (the semantic SRN, shared by every seed and by Fig. 6, is not counted).',
    '',
    missing.length ? `Missing (no row yet): ${missing.map((m) => `column ${m.column} ${m.className} seed(s) ${m.seedsMissing.join(',')}`).join('; ')}.` : 'Every column has a row for every seed.',
    '',
    `Restore these rows into a runs folder with \`cp -r docs/results/${values.name}/runs/. <runs>/\`; \`experiment table-1\` then runs only the missing ones.`,
    '',
    ...(journals.length
      ? [`In progress (journals of stopped evaluations, restored with the rows; the same command resumes them): ${journals.map((j) => `\`${j.rel}\` (${j.objects} object(s))`).join(', ')}.`, '']
      : []),
  ].join('\n');
  writeFileAtomic(join(docs, `${values.name}.md`), md);
  console.log(`written docs/results/${values.name}.{json,md,png}: ${rows.length} rows, ${missing.length} (column, class) cells short of a seed; ${supplements.map((x) => `${x.rows.length} ${x.key}`).join(', ')} supplement run(s)`);
}


/**
 * The summary's second shape-mIOU (issue 16, item 7): over the classes present in the test split's ground truth,
 * beside the released protocol's, where a few pixels of an absent class count as an IoU of 0.
 */
export function presentMarkdown(cells: readonly { column: number; className: string; seeds: number[]; shapeMIOUPresent: PercentCI | null }[]): string[] {
  const shown = cells.filter((c) => c.shapeMIOUPresent);
  if (!shown.length) return [];
  return [
    'shape-mIOU over the classes present in the test split\'s ground truth (the released protocol above also averages the classes a method predicts where the split has none, at IoU 0):',
    '',
    '| col | class | ours shape-mIOU, present classes % | seeds |',
    '|---|---|---|---|',
    ...[...shown].sort((a, b) => a.className.localeCompare(b.className) || a.column - b.column).map((c) => `| ${c.column} | ${c.className} | ${formatMeanCI(c.shapeMIOUPresent!)} | ${c.seeds.join(',')} |`),
    '',
  ];
}

export function perObjectMarkdown(sections: readonly PerObject[]): string[] {
  return sections.flatMap((sec) => [
    `## Per test object, ${sec.className.toLowerCase()}s, first seed (mIOU %)`,
    '',
    "Each object's mIOU: the mean of its views' image scores (every object has as many views, so a row's mIOU is the mean of its column here), beside the object's kind: the parts in its ground truth. \"(as …)\": the kind the method labelled the object as, where it differs (the parts with at least 10% of its predicted foreground; from results that keep per-object pixel counts, written since 2026-12-06).",
    '',
    `| # | object | kind | ${sec.columns.join(' | ')} |`,
    `|---|---|---|${sec.columns.map(() => '---|').join('')}`,
    ...sec.objects.map((o) => `| ${o.position} | ${o.id.slice(0, 8)} | ${o.kind ?? '—'} | ${o['mIOU %'].map((v, k) => (v === null ? '—' : `${v.toFixed(1)}${o.labelledAs[k] && o.labelledAs[k] !== o.kind ? ` (as ${o.labelledAs[k]})` : ''}`)).join(' | ')} |`),
    '',
  ]);
}

/** What identifies a published row's run well enough to keep its commit: column, class, seed, protocol and score. */
export type CommitRef = { column?: number; className: string; seed: number; protocol?: string; 'mIOU %': number | null; commit?: string | null };

/** The commit published before for the same run, or null: the first publication that names one. */
export function carriedCommit(previous: readonly CommitRef[], want: Omit<CommitRef, 'commit'>): string | null {
  const same = previous.find((p) => p.commit && p.column === want.column && p.className === want.className && p.seed === want.seed && p.protocol === want.protocol && p['mIOU %'] === want['mIOU %']);
  return same?.commit ?? null;
}

/** docs/results/NAME.json, or an error naming the option that asked for it. */
export function readPublication(docs: string, name: string, option: string): Json {
  const path = join(docs, `${name}.json`);
  if (!existsSync(path)) throw new Error(`${option}: ${path} does not exist (expected the name of a publication under docs/results)`);
  return readJson(path);
}

/**
 * The Table 1 to compare with: the publication NAME under docs/results, else a file, or a git revision at which this
 * publication's own JSON (`docs/results/OWN.json`) is read (the final table republished in place).
 */
export function readComparedTable1(docs: string, spec: string, ownName: string, repoRoot: string): { name: string; where: string; doc: PublishedTable1 } {
  const named = join(docs, `${spec}.json`);
  if (/^[\w.-]+$/.test(spec) && existsSync(named)) return { name: spec, where: `docs/results/${spec}.json`, doc: asPublishedTable1(readJson(named), named) };
  const earlier = readEarlierPublication(spec, `${ownName}.json`, relative(repoRoot, join(docs, `${ownName}.json`)), repoRoot);
  return { name: spec, where: earlier.where, doc: asPublishedTable1(earlier.doc, earlier.where) };
}

/**
 * The published rows that can lend a run its commit: this publication's previous version first, then the others
 * named by --commits-from in their order (an interim table's rows restored from the final one's runs).
 */
export function commitRefs(publications: readonly Json[]): { rows: CommitRef[]; supplement: (key: SupplementKey) => CommitRef[] } {
  return {
    rows: publications.flatMap((doc) => (doc.rows as CommitRef[] | undefined) ?? []),
    supplement: (key) => publications.flatMap((doc) => ((doc[key] as { className: string; rows: CommitRef[] }[] | undefined) ?? []).flatMap((sec) => sec.rows.map((r) => ({ ...r, className: sec.className })))),
  };
}

type RenderEntry = { className: string; column: number; method: string; protocol: string; seed: number; object: string; file: string };

/**
 * A row whose run kept no renders on this machine (its results came back from git, restore-runs.ts) keeps the figure
 * published before, if that is still there: republishing elsewhere must not drop it.
 */
export function keptRender(previous: readonly RenderEntry[], rendersRoot: string, file: string): RenderEntry[] {
  const entry = previous.find((e) => e.file === file);
  return entry && existsSync(join(rendersRoot, basename(file))) ? [entry] : [];
}

/** The rows' figures of one test object per class (each row's first test object: the same object in every run of a class). */
export function rendersMarkdown(renders: readonly RenderEntry[]): string[] {
  if (!renders.length) return [];
  return [
    `## Renders: the first test object, seed ${renders[0].seed}`,
    '',
    'Each figure is the row\'s own evaluation figure: the observed view where the method has one, then per evaluated view the predicted and the true labels (the SRN rows also the rendered RGB). The U-Nets are given each view\'s true RGB.',
    '',
    ...renders.flatMap((r) => [`**${r.className}, column ${r.column}: ${r.method}${r.protocol === 'multi' ? ' (multi)' : ''}** (object ${r.object})`, '', `![${r.className} column ${r.column} ${r.method} ${r.protocol}](${r.file.replace(`docs/results/`, '')})`, '']),
  ];
}

type SupplementSection = { className: string; seeds: number[]; mIOU: { mean: number; ci95: number | null }; shapeMIOU: { mean: number; ci95: number | null }; rows: { seed: number; 'mIOU %': number | null; 'shape-mIOU %': number | null; perClassIoU: Record<string, number | null>; wallSeconds: number | null; commit: string | null; source: string; stale?: string }[] };

/** A supplement row's section, one table per class (nothing when none was run). */
export function supplementMarkdown(title: string, sections: readonly SupplementSection[], name: string): string[] {
  if (!sections.length) return [];
  const f1 = (v: number | null) => (v === null ? '—' : v.toFixed(1));
  const ci = (s: { mean: number; ci95: number | null }) => (s.ci95 === null ? f1(s.mean) : `${f1(s.mean)} ± ${f1(s.ci95)}`);
  return [
    `## ${title}`,
    '',
    ...sections.flatMap((sec) => {
      const parts = [...new Set(sec.rows.flatMap((r) => Object.keys(r.perClassIoU)))];
      return [
        sec.seeds.length > 1
          ? `**${sec.className}s**, seeds ${sec.seeds.join(', ')}: mIOU ${ci(sec.mIOU)}, shape-mIOU ${ci(sec.shapeMIOU)} (mean ± 95% CI).`
          : `**${sec.className}s**, seed ${sec.seeds[0]} only: mIOU ${ci(sec.mIOU)}, shape-mIOU ${ci(sec.shapeMIOU)}.`,
        '',
        `| seed | mIOU | shape-mIOU | ${parts.join(' | ')} | wall | commit | source |`,
        `|---|---|---|${parts.map(() => '---|').join('')}---|---|---|`,
        ...sec.rows.map((r) => `| ${r.seed}${r.stale ? ' STALE' : ''} | ${f1(r['mIOU %'])} | ${f1(r['shape-mIOU %'])} | ${parts.map((p) => f1(r.perClassIoU[p] ?? null)).join(' | ')} | ${r.wallSeconds === null ? '—' : `${r.wallSeconds} s`} | ${r.commit ? r.commit.slice(0, 7) : '—'} | \`${r.source.replace(`docs/results/${name}/`, '')}\` |`),
        '',
        ...(sec.rows.some((r) => r.stale) ? [`STALE: ${[...new Set(sec.rows.flatMap((r) => (r.stale ? [r.stale] : [])))].join('; ')}.`, ''] : []),
      ];
    }),
  ];
}

if (process.argv[1]?.endsWith('publish-table1.ts')) main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
