import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlflowCommand } from '../../lib/cli/mlflow_command';
import { MlflowTracker } from '../../lib/tracking/tracker';
import { FileStore } from '../../lib/tracking/file_store';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('semantic-srn mlflow ls lists local runs with nesting; sync validates its arguments', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tracker = new MlflowTracker({ backend: new FileStore(dir), experimentName: 'cli', handleSignals: false, systemTags: false });
  const parent = await tracker.startRun({ name: 'sweep' });
  const child = await tracker.startRun({ name: 'lr=0.1', parent });
  await child.end('FAILED');
  await parent.end();

  const ls = await capture(() => mlflowCommand.run(['ls', dir]));
  assert.equal(ls.code, 0);
  assert.match(ls.out, /^cli \(\d+\)$/m);
  assert.match(ls.out, new RegExp(`${parent.runId} FINISHED .* sweep$`, 'm'));
  assert.match(ls.out, new RegExp(`${child.runId} FAILED .* lr=0.1 child of ${parent.runId}$`, 'm'));

  const noTo = await capture(() => mlflowCommand.run(['sync', dir, '--to', 'file:///x']));
  assert.equal(noTo.code, 2);
  assert.match(noTo.err, /--to must be an http\(s\) tracking server URL, got file:\/\/\/x/);
  const help = await capture(() => mlflowCommand.run(['--help']));
  assert.equal(help.code, 0);
  assert.match(help.out, /semantic-srn mlflow sync \[DIR\] --to URI/);
  assert.equal((await capture(() => mlflowCommand.run(['nope']))).code, 2);
});
