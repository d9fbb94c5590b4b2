/** Labelled images for U-Net training tests: uniform noise RGBA and stripes of labels shifted per image, seeded. */
import type { LabelledImage } from '../../lib/baselines/unet_train';
import { Rng } from '../../lib/util/random';

export function noiseImages(n: number, seed: number, tag: string, side: number, classes: number): LabelledImage[] {
  const rng = Rng.derive(seed, tag);
  return Array.from({ length: n }, (_, b) => {
    const rgba = rng.uniformArray(side * side * 4, -1, 1);
    const labels = new Int32Array(side * side).map((_, p) => (Math.floor((p % side) / 6) + b) % classes);
    return { rgba, labels };
  });
}
