/**
 * Results tables (one row per run / method / class …) as arquero tables: built from plain records,
 * shown as HTML in notebooks, saved as CSV + JSON records for the tracker and for diffs.
 */
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic_write';
import { showBundle } from './display';

export type { ColumnTable } from 'arquero';

export type ResultValue = string | number | boolean | null;
export type ResultRecord = Record<string, ResultValue | undefined>;

/**
 * A table from records. Columns are the union of the records' keys in first-seen order (or
 * `columns`); a missing key becomes null. Values must be strings, numbers, booleans or null.
 */
export function resultsTable(records: readonly ResultRecord[], columns?: readonly string[]): ColumnTable {
  const cols = columns ? [...columns] : [...new Set(records.flatMap((r) => Object.keys(r)))];
  const data: Record<string, ResultValue[]> = {};
  for (const c of cols) data[c] = [];
  records.forEach((r, i) => {
    for (const [k, v] of Object.entries(r)) {
      if (v !== undefined && v !== null && !['string', 'number', 'boolean'].includes(typeof v)) {
        throw new Error(`resultsTable: records[${i}].${k} must be a string, number, boolean or null, got ${typeof v}`);
      }
    }
    for (const c of cols) data[c].push(r[c] ?? null);
  });
  return aq.table(data);
}

export interface TableHtmlOptions {
  /** Most rows to render (default 200). */
  limit?: number;
  /** Fraction digits for non-integer numbers (default 4). */
  digits?: number;
}

/** Per-column formatters: non-integer numbers rounded to `digits`, null/undefined blank. */
function roundingFormat(table: ColumnTable, digits: number): Record<string, (v: unknown) => string> {
  const format: Record<string, (v: unknown) => string> = {};
  for (const name of table.columnNames()) {
    format[name] = (v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? v.toFixed(digits) : v === null || v === undefined ? '' : String(v);
  }
  return format;
}

/** HTML <table> of (the first `limit` rows of) a table, numbers right-aligned and rounded. */
export function tableHtml(table: ColumnTable, opts: TableHtmlOptions = {}): string {
  const html = table.toHTML({ limit: opts.limit ?? 200, format: roundingFormat(table, opts.digits ?? 4) });
  const more = table.numRows() > (opts.limit ?? 200) ? `<p><i>${table.numRows()} rows, first ${opts.limit ?? 200} shown</i></p>` : '';
  return html + more;
}

/** Shows the table in a tslab notebook (HTML + a plain-text fallback); a one-line notice outside a kernel. */
export function showTable(table: ColumnTable, opts: TableHtmlOptions = {}): void {
  showBundle(
    { 'text/html': tableHtml(table, opts), 'text/plain': table.toMarkdown({ limit: opts.limit ?? 200, format: roundingFormat(table, opts.digits ?? 4) }) },
    {},
    'showTable',
  );
}

export interface SavedTable {
  csv: string;
  json: string;
}

/** Writes `<basePath>.csv` and `<basePath>.json` (an array of row objects); returns the paths. */
export function saveTable(table: ColumnTable, basePath: string): SavedTable {
  const base = basePath.replace(/\.(csv|json)$/i, '');
  const paths = { csv: `${base}.csv`, json: `${base}.json` };
  writeFileAtomic(paths.csv, table.toCSV());
  writeFileAtomic(paths.json, JSON.stringify(table.objects(), null, 2) + '\n');
  return paths;
}

/** Reads a CSV written by `saveTable` (numbers and booleans are parsed back). */
export function readTableCsv(path: string): ColumnTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read CSV table (${(e as Error).message})`);
  }
  // A trailing newline would otherwise parse as one more (all-null) row.
  return aq.fromCSV(text.replace(/(\r?\n)+$/, ''));
}
