import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTableCsv, resultsTable, saveTable, showTable, tableHtml } from '../../lib/plotting';

const dir = mkdtempSync(join(tmpdir(), 'srn-table-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const records = [
  { method: 'SRN+linear', labels: 30, miou: 0.4923, ok: true },
  { method: 'U-Net, 30-shot', labels: 30, miou: 0.3 },
  { method: 'TCO "oracle"', labels: 0, miou: 0.123456789, note: 'quoted' },
];

test('resultsTable: union of columns in first-seen order, missing values null', () => {
  const t = resultsTable(records);
  assert.deepEqual(t.columnNames(), ['method', 'labels', 'miou', 'ok', 'note']);
  assert.equal(t.numRows(), 3);
  assert.deepEqual(t.array('ok'), [true, null, null]);
  assert.deepEqual(resultsTable(records, ['miou', 'method']).columnNames(), ['miou', 'method']);
  assert.throws(() => resultsTable([{ a: 1 }, { a: [1] as never }]), /records\[1\]\.a must be a string, number, boolean or null/);
});

test('saveTable → readTableCsv round trip keeps strings (with commas and quotes), numbers, booleans, nulls', () => {
  const t = resultsTable(records);
  const paths = saveTable(t, join(dir, 'res.csv'));
  assert.deepEqual(paths, { csv: join(dir, 'res.csv'), json: join(dir, 'res.json') });
  const back = readTableCsv(paths.csv);
  assert.deepEqual(back.columnNames(), t.columnNames());
  assert.deepEqual(back.objects(), t.objects());
  assert.deepEqual(JSON.parse(readFileSync(paths.json, 'utf8')), t.objects());
  assert.throws(() => readTableCsv(join(dir, 'missing.csv')), /missing\.csv: cannot read CSV table/);
});

test('tableHtml rounds non-integers and escapes text; showTable is a no-op outside a kernel', () => {
  const html = tableHtml(resultsTable(records), { digits: 3 });
  assert.match(html, /<table/);
  assert.match(html, /0\.123</);
  assert.match(html, />30</);
  assert.match(html, /TCO &quot;oracle&quot;|TCO "oracle"/);
  assert.match(tableHtml(resultsTable(records), { limit: 1 }), /3 rows, first 1 shown/);
  const logged: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logged.push(a.join(' '));
  try {
    showTable(resultsTable(records));
  } finally {
    console.log = orig;
  }
  assert.match(logged.join('\n'), /^\[semantic-srn\] showTable: not running in a tslab kernel/);
});
