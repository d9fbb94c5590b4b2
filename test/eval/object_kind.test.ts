import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSplit } from '../../lib/data/split';
import { labelledKind, objectKind, objectParts, perObjectScores } from '../../lib/eval/object_kind';
import { makeTestSplit } from './fixture';

const root = makeTestSplit(30, 1);
const dir = mkdtempSync(join(tmpdir(), 'object-kind-'));
after(() => [root, dir].forEach((d) => rmSync(d, { recursive: true, force: true })));
const write = (name: string, doc: unknown) => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, JSON.stringify(doc));
  return p;
};

test("objectParts: the parts labelled in an object's views, in class order, background and absent classes left out", () => {
  const split = openSplit(root, 'Chair', 'test');
  assert.deepEqual(objectParts(split, 0, 10), ['chair_head', 'chair_back', 'chair_base', 'chair_seat']);
  assert.throws(() => objectParts(split, 1), /no instance at position 1 of 1/);
});

test('objectKind: the common group of path-named parts, else the parts without their shared prefix', () => {
  assert.equal(objectKind(['game_table/pool_table/tabletop', 'game_table/pool_table/table_base']), 'game_table/pool_table');
  assert.equal(objectKind(['picnic_table/regular_table/tabletop', 'picnic_table/regular_table/table_base', 'picnic_table/bench']), 'picnic_table');
  assert.equal(objectKind(['regular_table/tabletop']), 'regular_table');
  assert.equal(objectKind(['chair_back', 'chair_arm', 'chair_base', 'chair_seat']), 'back, arm, base, seat');
  assert.equal(objectKind(['chair_seat']), 'chair_seat');
  assert.equal(objectKind([]), 'no parts');
});

test("per test object: each row's own score of every object beside the object's kind, read from the evaluation files", (t) => {
  const data = makeTestSplit(5, 2);
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const ids = ['0'.repeat(32), `${'0'.repeat(31)}1`];
  const ev = (name: string, scores: number[], root = data) =>
    write(`po/${name}/results.json`, { dataset: { root, className: 'Chair', split: 'test' }, perInstance: ids.map((id, k) => ({ id, index: k, images: 5, mIOU: scores[k] })) });
  const rows = [
    { column: 6, method: 'unet-oracle', protocol: 'single', evaluation: ev('oracle', [0.9, 0.25]) },
    { column: 4, method: 'srn+unet', protocol: 'single', evaluation: ev('srn', [0.5, 0.75], '/gone') },
  ];
  const [sec] = perObjectScores(rows, '/nowhere');
  assert.deepEqual(sec.columns, ['4 srn+unet', '6 unet-oracle'], 'in column order');
  assert.equal(sec.objects[0].kind, null, "the first row's data root is gone and --data has no Chair: no kind");
  assert.deepEqual(sec.objects.map((o) => o['mIOU %']), [[50, 90], [75, 25]]);
  // A root of other objects (another data version) is passed over for the next one.
  const other = makeTestSplit(5, 1);
  t.after(() => rmSync(other, { recursive: true, force: true }));
  assert.equal(perObjectScores([{ ...rows[1], evaluation: ev('other', [0.5, 0.75], other) }], data)[0].objects[1].kind, 'head, back, base, seat');
  const [withKind] = perObjectScores(rows, data);
  assert.deepEqual(withKind.objects.map((o) => o.kind), ['head, back, base, seat', 'head, back, base, seat']);
});

test('labelledKind: the group a method labelled an object as, from its predicted pixels; only for hierarchical class names', () => {
  const names = ['background', 'game_table/pool_table/tabletop', 'game_table/pool_table/table_base', 'regular_table/tabletop', 'regular_table/table_base'];
  const px = (predicted: number[]) => ({ groundTruth: [0, 0, 0, 0, 0], predicted, intersection: [0, 0, 0, 0, 0] });
  assert.equal(labelledKind(px([900, 260, 40, 5, 0]), names), 'game_table/pool_table', 'a part under 10% of the foreground does not count');
  assert.equal(labelledKind(px([900, 0, 0, 200, 30]), names), 'regular_table');
  assert.equal(labelledKind(px([900, 100, 0, 0, 100]), names), 'game_table/pool_table/tabletop, regular_table/table_base');
  assert.equal(labelledKind(px([900, 0, 0, 0, 0]), names), 'nothing (all background)');
  assert.equal(labelledKind(px([900, 10, 10, 0, 0]), ['background', 'chair_back', 'chair_seat', 'chair_arm', 'chair_base']), null);
});
