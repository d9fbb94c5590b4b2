/**
 * Labelled point clouds as ASCII PLY (`x y z red green blue`), background points dropped, as the
 * reference's optional export (spec/reference.md §6: ray-marched points of every 25th view, coloured by
 * predicted class).
 */
import { writeFileAtomic } from '../util/atomic_write';
import { labelPalette, type Rgb8 } from './palette';

/** Views whose points go into the cloud: 0, 25, 50, … below `numViews` (251 → 0..250, 11 views). */
export function pointCloudViews(numViews: number, every = 25): number[] {
  const out: number[] = [];
  for (let v = 0; v < numViews; v += every) out.push(v);
  return out;
}

export interface LabelledPoints {
  /** N·3 world coordinates. */
  points: ArrayLike<number>;
  /** N class ids. */
  labels: ArrayLike<number>;
}

/** PLY text of the non-background points (label ≠ 0) of one or several chunks. */
export function labelledPointCloudPly(chunks: LabelledPoints | LabelledPoints[], numClasses: number, palette?: Rgb8[]): string {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  const pal = palette ?? labelPalette(numClasses);
  const lines: string[] = [];
  list.forEach((ch, k) => {
    if (ch.points.length !== 3 * ch.labels.length) {
      throw new Error(`labelledPointCloudPly: chunk ${k} has ${ch.points.length} coordinates for ${ch.labels.length} labels (expected 3 per point)`);
    }
    for (let i = 0; i < ch.labels.length; i++) {
      const c = ch.labels[i];
      if (c === 0) continue;
      const col = pal[c];
      if (!col) throw new Error(`labelledPointCloudPly: label ${c} of point ${i} in chunk ${k} is outside 0..${pal.length - 1}`);
      const x = ch.points[3 * i], y = ch.points[3 * i + 1], z = ch.points[3 * i + 2];
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) continue;
      lines.push(`${fmt(x)} ${fmt(y)} ${fmt(z)} ${col[0]} ${col[1]} ${col[2]}`);
    }
  });
  const header = [
    'ply',
    'format ascii 1.0',
    'comment semantic-srn labelled point cloud (background dropped)',
    `element vertex ${lines.length}`,
    'property float x',
    'property float y',
    'property float z',
    'property uchar red',
    'property uchar green',
    'property uchar blue',
    'end_header',
  ];
  return header.concat(lines).join('\n') + '\n';
}

function fmt(v: number): string {
  return Number(v.toPrecision(7)).toString();
}

export function writeLabelledPointCloudPly(path: string, chunks: LabelledPoints | LabelledPoints[], numClasses: number): number {
  const text = labelledPointCloudPly(chunks, numClasses);
  writeFileAtomic(path, text);
  return Number(/element vertex (\d+)/.exec(text)![1]);
}
