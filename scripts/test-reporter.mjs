// node:test reporter for scripts/run-tests.mjs: one line per finished file with a running count, the
// failures in full, and a last line exactly "N passed, N failed[, N skipped]". Per-file wall times go to
// the JSON file named by SRN_TEST_TIMES (what the fast/slow split in run-tests.mjs is decided from).
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { inspect } from 'node:util';

const rel = (f) => (f ? relative(process.cwd(), f) : '(no file)');

export default async function* reporter(source) {
  const total = Number(process.env.SRN_TEST_FILE_COUNT) || 0;
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const perFile = new Map(); // file → { passed, failed, skipped, output: string[] }
  const times = {};
  const startedAt = Date.now();
  let done = 0;
  const fileState = (f) => {
    let s = perFile.get(f);
    if (!s) perFile.set(f, (s = { passed: 0, failed: 0, skipped: 0, output: [] }));
    return s;
  };

  for await (const ev of source) {
    const d = ev.data ?? {};
    const isFile = d.nesting === 0 && d.file && d.name === d.file;
    switch (ev.type) {
      case 'test:stdout':
      case 'test:stderr':
        // Kept and shown only for files that fail, so a green run stays one line per file.
        if (d.file) fileState(d.file).output.push(d.message);
        break;
      case 'test:pass': {
        if (d.details?.type === 'suite' || isFile) break;
        const s = fileState(d.file);
        if (d.skip !== undefined || d.todo !== undefined) { s.skipped++; totals.skipped++; }
        else { s.passed++; totals.passed++; }
        break;
      }
      case 'test:fail': {
        const err = d.details?.error;
        // A parent (suite or file) that failed only because a subtest did is not a failure of its own.
        if (err?.failureType === 'subtestsFailed') break;
        const s = fileState(d.file);
        if (d.todo !== undefined) { s.skipped++; totals.skipped++; break; }
        s.failed++; totals.failed++;
        const cause = err?.cause ?? err;
        const what = isFile ? 'the file itself (crash, exit code or unfinished test)' : d.name;
        yield `\nFAIL ${rel(d.file)} › ${what}\n${indent(cause instanceof Error ? cause.stack ?? String(cause) : inspect(cause))}\n`;
        // A file-level failure arrives after the file's completion line: show its output here.
        if (isFile && s.output.length > 0) yield `--- output of ${rel(d.file)}:\n${s.output.join('')}---\n`;
        break;
      }
      case 'test:complete': {
        if (!isFile) break;
        done++;
        const s = fileState(d.file);
        const secs = (d.details?.duration_ms ?? 0) / 1000;
        times[rel(d.file)] = Number(secs.toFixed(2));
        if (s.failed > 0 && s.output.length > 0) yield `--- output of ${rel(d.file)}:\n${s.output.join('')}---\n`;
        const n = total ? `[${done}/${total}]` : `[${done}]`;
        const own = `${s.passed} passed${s.failed ? `, ${s.failed} FAILED` : ''}${s.skipped ? `, ${s.skipped} skipped` : ''}`;
        yield `${n} ${rel(d.file)}: ${own} (${secs.toFixed(1)} s) · so far ${totals.passed} passed, ${totals.failed} failed\n`;
        break;
      }
      default:
        break;
    }
  }
  if (process.env.SRN_TEST_TIMES) writeFileSync(process.env.SRN_TEST_TIMES, JSON.stringify(times, null, 2) + '\n');
  yield `wall time ${((Date.now() - startedAt) / 1000).toFixed(0)} s for ${done} file(s)\n`;
  const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
  yield `${totals.passed} passed, ${totals.failed} failed${skipped}\n`;
}

function indent(s) {
  return String(s).split('\n').map((l) => `    ${l}`).join('\n');
}
