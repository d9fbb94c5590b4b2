/** Reconstruction from a mask: the two heads compared per object (the same masks), paired by the object's position. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskHeadDifference } from '../../lib/experiments/mask_reconstruction';

test('maskHeadDifference: U-Net head minus linear head over the objects both scored, paired by position', () => {
  const linear = [{ position: 0, mIOU: 0.5, shapeMIOU: 0.4 }, { position: 1, mIOU: 0.7, shapeMIOU: 0.6 }, { position: 2, mIOU: 0.6, shapeMIOU: 0.5 }];
  const unet = [{ position: 2, mIOU: 0.66, shapeMIOU: 0.5 }, { position: 0, mIOU: 0.58, shapeMIOU: 0.45 }, { position: 1, mIOU: 0.77, shapeMIOU: 0.6 }];
  const d = maskHeadDifference(linear, unet)!;
  assert.deepEqual(d.objects, [2, 0, 1]);
  assert.ok(Math.abs(d.mIOU.mean - 7) < 1e-9, String(d.mIOU.mean));
  assert.equal(d.mIOU.n, 3);
  assert.equal(maskHeadDifference(linear, []), null);
});
