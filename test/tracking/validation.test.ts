import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDouble, encodeDouble, flattenParams, validateKey, validateMetric, validateParamValue, validateTagValue } from '../../lib/tracking/validation';
import { splitBatch } from '../../lib/tracking/batching';
import { dumpMeta, parseMeta } from '../../lib/tracking/meta_yaml';
import { TrackingError } from '../../lib/tracking/errors';
import type { MetricPoint } from '../../lib/tracking/types';

test('flattenParams: nested objects become dotted keys, other values strings', () => {
  const flat = flattenParams({
    model: { lr: 1e-3, widths: [64, 64], act: 'relu', deep: { on: true } },
    seed: 7,
    none: null,
    skipped: undefined,
    when: new Date(Date.UTC(2026, 0, 2)),
    empty: {},
    big: 10n,
  });
  assert.deepEqual(flat, {
    'model.lr': '0.001',
    'model.widths': '[64,64]',
    'model.act': 'relu',
    'model.deep.on': 'true',
    seed: '7',
    none: 'null',
    when: '2026-01-02T00:00:00.000Z',
    empty: '{}',
    big: '10',
  });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.throws(() => flattenParams(cyclic), /circular/);
});

test('validateKey accepts MLflow-safe keys and rejects bad ones with the key named', () => {
  for (const ok of ['loss', 'train/loss', 'model.lr', 'a-b_c d', 'x'.repeat(250)]) assert.equal(validateKey('metric', ok), ok);
  const bad: [unknown, RegExp][] = [
    ['', /non-empty/],
    ['x'.repeat(251), /251 characters.*at most 250/],
    ['loss:train', /"loss:train" has characters/],
    ['/abs', /not a normalized path/],
    ['a//b', /not a normalized path/],
    ['a/../b', /not a normalized path/],
    ['trailing/', /not a normalized path/],
    ['.', /not a normalized path/],
    ['é', /characters/],
    [3, /non-empty string/],
  ];
  for (const [key, re] of bad) assert.throws(() => validateKey('param', key), (e: Error) => e instanceof TrackingError && re.test(e.message));
});

test('value limits: param 6000, tag 8000 characters; metrics need numbers and integer steps', () => {
  assert.equal(validateParamValue('p', 'v'.repeat(6000)).length, 6000);
  assert.throws(() => validateParamValue('p', 'v'.repeat(6001)), /param 'p' value is 6001 characters; MLflow allows at most 6000/);
  assert.throws(() => validateTagValue('t', 'v'.repeat(8001)), /tag 't' value is 8001 characters/);
  assert.throws(() => validateTagValue('t', 5), /tag 't' value must be a string/);
  validateMetric('m', NaN, 0, 0);
  validateMetric('m', -Infinity, -3, 1);
  assert.throws(() => validateMetric('m', '1', 0, 0), /metric 'm' value must be a number/);
  assert.throws(() => validateMetric('m', 1, 1.5, 0), /metric 'm' step must be an integer/);
  assert.throws(() => validateMetric('m', 1, 0, -1), /timestamp must be a non-negative integer/);
});

test('NaN and ±Infinity are encoded as MLflow proto-JSON strings and decoded back', () => {
  assert.equal(encodeDouble(1.5), 1.5);
  assert.equal(encodeDouble(NaN), 'NaN');
  assert.equal(encodeDouble(Infinity), 'Infinity');
  assert.equal(encodeDouble(-Infinity), '-Infinity');
  assert.ok(Number.isNaN(decodeDouble('NaN')));
  assert.equal(decodeDouble('Infinity'), Infinity);
  assert.equal(decodeDouble('-Infinity'), -Infinity);
  assert.equal(decodeDouble('-inf'), -Infinity);
  assert.equal(decodeDouble(2), 2);
  assert.equal(decodeDouble('2.5'), 2.5);
  assert.throws(() => decodeDouble('x'), /expected a double/);
  const [chunk] = splitBatch({ metrics: [{ key: 'a', value: NaN, step: 0, timestamp: 1 }] });
  assert.equal(JSON.stringify(chunk.metrics.map((m) => ({ ...m, value: encodeDouble(m.value) }))), '[{"key":"a","value":"NaN","step":0,"timestamp":1}]');
});

test('splitBatch keeps every request within MLflow log-batch limits, params and tags first', () => {
  const metrics: MetricPoint[] = Array.from({ length: 2500 }, (_, i) => ({ key: `k${i % 3}`, value: i, step: i, timestamp: 1000 + i }));
  const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
  const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
  const chunks = splitBatch({ metrics, params, tags });
  for (const c of chunks) {
    assert.ok(c.metrics.length <= 1000 && c.params.length <= 100 && c.tags.length <= 100);
    assert.ok(c.metrics.length + c.params.length + c.tags.length <= 1000);
  }
  assert.deepEqual(chunks.flatMap((c) => c.metrics), metrics, 'order and content preserved');
  assert.deepEqual(chunks.flatMap((c) => c.params), params);
  assert.deepEqual(chunks.flatMap((c) => c.tags), tags);
  assert.deepEqual(chunks.map((c) => [c.params.length, c.tags.length, c.metrics.length]), [
    [100, 0, 0],
    [50, 100, 0],
    [0, 20, 980],
    [0, 0, 1000],
    [0, 0, 520],
  ]);
  // Body size: 40 tags of 8000 chars (~320 kB) must not share one request with the limit at 100 kB.
  const fat = Array.from({ length: 40 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(8000) }));
  const sized = splitBatch({ tags: fat }, { metrics: 1000, params: 100, tags: 100, entities: 1000, bytes: 100_000 });
  assert.ok(sized.length >= 4);
  for (const c of sized) assert.ok(Buffer.byteLength(JSON.stringify(c)) <= 100_000);
  assert.deepEqual(splitBatch({}), []);
});

test('meta.yaml: written like PyYAML (sorted, ids quoted), read back including PyYAML forms', () => {
  const text = dumpMeta({ run_name: "it's: a run", experiment_id: '12', status: 1, end_time: null, tags: [], note: 'line\nbreak' });
  assert.equal(text, `end_time: null\nexperiment_id: '12'\nnote: "line\\nbreak"\nrun_name: 'it''s: a run'\nstatus: 1\ntags: []\n`);
  assert.deepEqual(parseMeta(text), { run_name: "it's: a run", experiment_id: '12', status: 1, end_time: null, tags: [], note: 'line\nbreak' });
  // As PyYAML writes it (plain scalars, a folded long string)
  const py = "artifact_uri: file:///tmp/m/1/abc/artifacts\nend_time: 1795465645668\nentry_point_name: ''\nname: exp a\nrun_name: 'a very long\n  name'\n";
  assert.deepEqual(parseMeta(py), {
    artifact_uri: 'file:///tmp/m/1/abc/artifacts',
    end_time: 1795465645668,
    entry_point_name: '',
    name: 'exp a',
    run_name: 'a very long name',
  });
  assert.throws(() => parseMeta('oops\n', 'x/meta.yaml'), /x\/meta.yaml: cannot parse line 1/);
});
