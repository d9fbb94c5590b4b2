import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNativeBackend, nativeSetupPlan } from '../../lib/backend/native_setup';

// A project root whose scripts/setup-native.sh is a stand-in: the decision logic and the bookkeeping are
// what is tested here; the real build is CI's "native backend" step.
function fakeRoot(script: string): string {
  const root = mkdtempSync(join(tmpdir(), 'srn-native-setup-'));
  mkdirSync(join(root, 'scripts'));
  writeFileSync(join(root, 'scripts', 'setup-native.sh'), script);
  return root;
}
const BUILDS = 'mkdir -p .cache/native/tfjs-node && echo "{}" > .cache/native/tfjs-node/package.json && echo stamp > .cache/native/BUILD-STAMP\necho "setup-native: done"\n';
const FAILS = 'echo "setup-native: downloading" >&2\necho "setup-native: pip download failed (no network)" >&2\nexit 1\n';
const env = { PATH: process.env.PATH }; // no NODE_TEST_CONTEXT: the CLI's view
const allTools = { has: () => true, platform: 'linux/x64' };

test('plan: opt-out, another backend, tests, platform and missing tools each skip with the reason', () => {
  const root = fakeRoot(BUILDS);
  try {
    assert.equal(nativeSetupPlan({ root, env, ...allTools }), undefined);
    assert.equal(nativeSetupPlan({ root, env, ...allTools, backend: 'node' }), undefined);
    assert.match(nativeSetupPlan({ root, env: { ...env, SRN_AUTO_NATIVE: '0' }, ...allTools })!, /SRN_AUTO_NATIVE=0/);
    assert.match(nativeSetupPlan({ root, env, ...allTools, backend: 'wasm' })!, /backend 'wasm' was asked for/);
    assert.match(nativeSetupPlan({ root, env: { ...env, SRN_BACKEND: 'cpu' }, ...allTools })!, /backend 'cpu'/);
    assert.match(nativeSetupPlan({ root, env: { ...env, NODE_TEST_CONTEXT: 'child' }, ...allTools })!, /test run/);
    assert.match(nativeSetupPlan({ root, env, has: () => true, platform: 'darwin/arm64' })!, /needs Linux x86_64.*darwin\/arm64/);
    const noTools = nativeSetupPlan({ root, env, platform: 'linux/x64', has: (t) => t === 'bash' || t === 'make' });
    assert.equal(noTools, 'missing python3 with pip, g++');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ensureNativeBackend: builds once with a notice, then finds the build', () => {
  const root = fakeRoot(BUILDS);
  try {
    const lines: string[] = [];
    const r = ensureNativeBackend({ root, env, ...allTools, log: (l) => lines.push(l) });
    assert.equal(r.action, 'built');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /first run: building the native TensorFlow backend .*about 1 min.*SRN_AUTO_NATIVE=0 or --no-native-setup/);
    assert.match(lines[1], /native backend built in \d+ s/);
    assert.match(readFileSync(join(root, '.cache', 'native-setup.log'), 'utf8'), /setup-native: done/);
    const again: string[] = [];
    assert.deepEqual(ensureNativeBackend({ root, env, ...allTools, log: (l) => again.push(l) }), { action: 'skipped', reason: 'the native backend is already installed' });
    assert.deepEqual(again, []); // silent when nothing changes
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ensureNativeBackend: a failed build falls back with the reason and is not retried until the script changes', () => {
  const root = fakeRoot(FAILS);
  try {
    const lines: string[] = [];
    const r = ensureNativeBackend({ root, env, ...allTools, log: (l) => lines.push(l) });
    assert.equal(r.action, 'failed');
    assert.match((r as { reason: string }).reason, /exited 1: pip download failed \(no network\)/);
    assert.match(lines.at(-1)!, /build failed \(.*no network.*\); running on wasm \(full log: .*native-setup\.log\)/);
    assert.ok(existsSync(join(root, '.cache', 'native-setup.failed.json')));
    const next: string[] = [];
    const skipped = ensureNativeBackend({ root, env, ...allTools, log: (l) => next.push(l) });
    assert.equal(skipped.action, 'skipped');
    assert.match(next[0], /earlier build failed \(.*no network.*\); retry with npm run setup:native.*running on wasm/);
    writeFileSync(join(root, 'scripts', 'setup-native.sh'), BUILDS); // a fixed script gets a new try
    assert.equal(ensureNativeBackend({ root, env, ...allTools, log: () => {} }).action, 'built');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ensureNativeBackend: a build in progress elsewhere is not started twice; a dead holder\'s lock is taken over', () => {
  const root = fakeRoot(BUILDS);
  try {
    mkdirSync(join(root, '.cache'), { recursive: true });
    const lock = join(root, '.cache', 'native-setup.lock');
    writeFileSync(lock, String(process.pid)); // a live process holds it
    const lines: string[] = [];
    const r = ensureNativeBackend({ root, env, ...allTools, log: (l) => lines.push(l) });
    assert.deepEqual(r, { action: 'skipped', reason: 'another command is building it now (.cache/native-setup.lock)' });
    assert.match(lines[0], /another command is building it now.*running on wasm/);
    writeFileSync(lock, '999999999'); // no such process
    assert.equal(ensureNativeBackend({ root, env, ...allTools, log: () => {} }).action, 'built');
    assert.ok(!existsSync(lock), 'the lock is released after the build');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
