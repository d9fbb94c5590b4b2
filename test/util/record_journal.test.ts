import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordJournal } from '../../lib/util/record_journal';

const dir = mkdtempSync(join(tmpdir(), 'srn-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
type Rec = { k: string; v: number };
const open = (path: string, fp: unknown) => new RecordJournal<Rec>(path, fp, (r) => r.k);

test('a journal resumes its own configuration, keeps one record per key, and is removed at the end', () => {
  const path = join(dir, 'a.json');
  const j = open(path, { points: [1, 2] });
  assert.equal(j.opened, 'new');
  j.add({ k: 'x', v: 1 });
  j.add({ k: 'y', v: 2 });
  j.add({ k: 'x', v: 9 }); // a second write of a key keeps the first
  const again = open(path, { points: [1, 2] });
  assert.equal(again.opened, 'resumed');
  assert.equal(again.size, 2);
  assert.deepEqual([again.get('x'), again.get('y'), again.get('z')], [{ k: 'x', v: 1 }, { k: 'y', v: 2 }, undefined]);
  again.remove();
  assert.ok(!existsSync(path));
});

test('a journal of another configuration, or one that does not parse, is set aside (renamed, not lost)', () => {
  const path = join(dir, 'b.json');
  open(path, { pretrain: ['k', 100] }).add({ k: 'x', v: 1 });
  const other = open(path, { pretrain: ['k', 200] });
  assert.equal(other.opened, 'set-aside');
  assert.match(other.setAside!, /b\.json\.other-config-/);
  assert.ok(existsSync(other.setAside!) && !existsSync(path));
  assert.equal(other.size, 0);
  writeFileSync(path, '{"fingerprint": {"pretr');
  const torn = open(path, { pretrain: ['k', 200] });
  assert.equal(torn.opened, 'set-aside');
  assert.match(torn.setAside!, /unreadable/);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('b.json.')).length, 2);
});
