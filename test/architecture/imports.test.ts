/** The floors of docs/architecture.md hold: lib/ imports only downward, has no cycles and no hidden (dynamic) imports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FLOORS, floorViolations, importCycles, importEdges, type ImportEdge } from './import_graph';

const LIB = join(__dirname, '..', '..', 'lib');

test('every folder of lib/ has a floor', () => {
  const folders = readdirSync(LIB).filter((f) => statSync(join(LIB, f)).isDirectory());
  const placed = FLOORS.flat();
  assert.deepEqual(folders.filter((f) => !placed.includes(f)), []);
});

test('lib/ imports only from its own floor or lower ones, and import() only in the CLI', () => {
  const edges = importEdges(LIB);
  assert.ok(edges.length > 300, `found ${edges.length} imports: the scanner is broken`);
  assert.deepEqual(floorViolations(edges), []);
});

test('lib/ has no import cycle (type-only imports included)', () => {
  assert.deepEqual(importCycles(importEdges(LIB)), []);
});

test('the checks catch what they are for', () => {
  const e = (from: string, to: string, dynamic = false): ImportEdge => ({ from, to, dynamic });
  assert.deepEqual(floorViolations([e('srn/model.ts', 'util/random.ts'), e('cli/main.ts', 'cli/quickstart_command.ts', true)]), []);
  const v = floorViolations([e('baselines/compare.ts', 'cli/quickstart_command.ts'), e('baselines/run.ts', 'eval/runner.ts', true), e('nowhere/x.ts', 'util/random.ts')]);
  assert.equal(v.length, 3);
  assert.match(v[0], /baselines\/compare\.ts \(floor 5\) imports cli\/quickstart_command\.ts \(floor 7\)/);
  assert.match(v[1], /dynamic import/);
  assert.match(v[2], /'nowhere' has no floor/);
  const cycles = importCycles([e('a/x.ts', 'a/y.ts'), e('a/y.ts', 'a/z.ts'), e('a/z.ts', 'a/x.ts'), e('a/z.ts', 'b/w.ts')]);
  assert.deepEqual(cycles, [['a/x.ts', 'a/y.ts', 'a/z.ts']]);
});
