import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main, usage } from '../../lib/cli/main';

test('--help: one line per command with its summary', async () => {
  const text = await usage();
  const lines = text.split('\n').filter((l) => /^ {2}\S/.test(l));
  const names = lines.map((l) => l.trim().split(/\s+/)[0]);
  assert.deepEqual([...names].sort(), ['backend', 'baseline', 'data', 'eval', 'experiment', 'import-authors', 'mlflow', 'quickstart', 'status']);
  for (const l of lines) assert.match(l, /^ {2}\S+\s{2,}\S.{10,}$/, `no summary on '${l}'`);
});

test('an unknown command exits 2 and says so', async () => {
  const errs: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errs.push(m);
  try {
    assert.equal(await main(['nope']), 2);
    assert.equal(await main(['--no-native-setup', 'nope2']), 2); // the global flag is not taken for the command
  } finally {
    console.error = orig;
  }
  assert.match(errs.join('\n'), /unknown command 'nope'[\s\S]*experiment +run an experiment/);
  assert.match(errs.join('\n'), /unknown command 'nope2'/);
});
