import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { openSplit } from '../../lib/data/split';
import { objectKind, objectParts } from '../../lib/eval/object_kind';
import { makeTestSplit } from './fixture';

const root = makeTestSplit(30, 1);
after(() => rmSync(root, { recursive: true, force: true }));

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
