/** A tiny on-disk test split in the official layout: 2 instances × N views of 4×4 pixels, C = 6. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIntrinsics, formatPose, lookAt, sphericalToCartesian } from '../../lib/geometry/cameras';
import { writeNpy } from '../../lib/io/npy';
import { writePng } from '../../lib/io/png';

/** Every view's GT: 8 background, 2 each of classes 1, 2, 5, 4 (class 3 absent). */
export const GT_PATTERN = [0, 0, 1, 1, 0, 2, 2, 0, 0, 5, 5, 0, 0, 4, 0, 4];

export function makeTestSplit(numViews = 70, numInstances = 2): string {
  const root = mkdtempSync(join(tmpdir(), 'eval-fixture-'));
  const cls = join(root, 'Chair');
  mkdirSync(cls, { recursive: true });
  writeFileSync(join(cls, 'Chair-level-1.txt'), '1 chair_head\n2 chair_back\n3 chair_arm\n4 chair_base\n5 chair_seat\n');
  for (let i = 0; i < numInstances; i++) {
    const dir = join(cls, 'Chair.test', `${i}`.padStart(32, '0'));
    for (const d of ['rgb', 'pose', 'seg']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'intrinsics.txt'), formatIntrinsics({ fx: 5, fy: 5, cx: 2, cy: 2, height: 4, width: 4 }));
    for (let v = 0; v < numViews; v++) {
      const name = `${v}`.padStart(6, '0');
      const data = new Uint8Array(64);
      GT_PATTERN.forEach((c, p) => data.set(c === 0 ? [0, 0, 0, 0] : [40 * c, 100 + i, v, 255], 4 * p));
      writePng(join(dir, 'rgb', `${name}.png`), { width: 4, height: 4, data });
      writeFileSync(join(dir, 'pose', `${name}.txt`), formatPose(lookAt(sphericalToCartesian(1.3, v * 0.1, 0.3))));
      writeNpy(join(dir, 'seg', `${name}.npy`), { dtype: 'int32', shape: [4, 4], data: Int32Array.from(GT_PATTERN) });
    }
  }
  return root;
}
