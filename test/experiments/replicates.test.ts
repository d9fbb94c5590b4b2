import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeReplicates } from '../../lib/experiments/replicates';

test('summarizeReplicates: per entry over seeds, per-class over the seeds that scored a class, entries outside Table 1 too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-repl-'));
  try {
    const files = [0, 1, 2].map((seed) => {
      const f = join(dir, `b${seed}.json`);
      const u = 0.4 + 0.1 * seed;
      writeFileSync(f, JSON.stringify({
        table1: [{ id: 'unet-30shot', column: 3, method: 'unet-30shot', protocol: 'single', className: 'Chair', mIOU: u, shapeMIOU: u - 0.1, seed }],
        rows: [{ method: 'unet-30shot', protocol: 'single', perClassIoU: { seat: u, arm: seed === 0 ? null : 0.2 } }],
      }));
      return f;
    });
    const [row] = summarizeReplicates(files);
    assert.deepEqual([row.id, row.seeds, row.mIOU.n], ['unet-30shot', [0, 1, 2], 3]);
    assert.ok(Math.abs(row.mIOU.mean - 0.5) < 1e-12 && Math.abs(row.shapeMIOU.mean - 0.4) < 1e-12);
    assert.ok(Math.abs(row.mIOU.ci95! - 4.303 * 0.1 / Math.sqrt(3)) < 1e-9);
    assert.deepEqual([row.perClassIoU.arm.n, row.perClassIoU.arm.mean, row.perClassIoU.arm.ci95], [2, 0.2, 0]);

    const multi = join(dir, 'm.json');
    writeFileSync(multi, JSON.stringify({ method: 'srn+linear', protocol: { name: 'multi' }, dataset: { className: 'Table' }, mIOU: 0.6, shapeMIOU: 0.5, seed: 4, table1: null, perClassIoU: { top: 0.7 } }));
    const [m] = summarizeReplicates([multi, join(dir, 'missing.json')]);
    assert.deepEqual([m.id, m.protocol, m.className, m.seeds, m.mIOU.mean, m.mIOU.ci95, m.perClassIoU.top.mean], [null, 'multi', 'Table', [4], 0.6, null, 0.7]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
