/** Tiny datasets in the official format, written into a temp dir, for the loader tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIntrinsics, formatPose, lookAt, type Intrinsics, type Mat4 } from '../../lib/geometry/cameras';
import { writeNpy } from '../../lib/io/npy';
import { writePng } from '../../lib/io/png';

export const CHAIR_CLASSES = ['background', 'chair_head', 'chair_back', 'chair_arm', 'chair_base', 'chair_seat'];

export function tempRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'srn-loader-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function writeClassFile(root: string, cls = 'Chair', names = CHAIR_CLASSES): string {
  const path = join(root, cls, `${cls}-level-1.txt`);
  mkdirSync(join(root, cls), { recursive: true });
  writeFileSync(path, names.slice(1).map((n, i) => `${i + 1} ${n}`).join('\n') + '\n');
  return path;
}

export interface FixtureView {
  /** File stem, e.g. '000000'. */
  name?: string;
  width: number;
  height: number;
  /** RGBA8 pixels; default: opaque grey. */
  rgba?: Uint8Array;
  /** H·W labels; omit for no seg file. */
  labels?: Int32Array | Uint8Array;
  labelsDtype?: 'uint8' | 'int32' | 'int64';
  depth?: Float32Array;
  pose?: Mat4;
}

/** Writes one instance folder; returns its path. */
export function writeInstance(
  root: string,
  id: string,
  views: FixtureView[],
  opts: { cls?: string; split?: string; intrinsics?: Intrinsics } = {},
): string {
  const cls = opts.cls ?? 'Chair';
  const dir = join(root, cls, `${cls}.${opts.split ?? 'train'}`, id);
  mkdirSync(dir, { recursive: true });
  const w0 = views[0]?.width ?? 4;
  const h0 = views[0]?.height ?? 4;
  writeFileSync(join(dir, 'intrinsics.txt'), formatIntrinsics(opts.intrinsics ?? { fx: 2 * w0, fy: 2 * w0, cx: w0 / 2, cy: h0 / 2, height: h0, width: w0 }));
  views.forEach((v, i) => {
    const name = v.name ?? String(i).padStart(6, '0');
    const rgba = v.rgba ?? new Uint8Array(v.width * v.height * 4).fill(128);
    writePng(join(dir, 'rgb', `${name}.png`), { width: v.width, height: v.height, data: rgba });
    mkdirSync(join(dir, 'pose'), { recursive: true });
    writeFileSync(join(dir, 'pose', `${name}.txt`), formatPose(v.pose ?? lookAt([0, -1.3 - i * 0.01, 0.5])));
    if (v.labels) {
      const dtype = v.labelsDtype ?? 'int32';
      const data =
        dtype === 'uint8' ? Uint8Array.from(v.labels)
        : dtype === 'int64' ? BigInt64Array.from(Array.from(v.labels, (x) => BigInt(x)))
        : Int32Array.from(v.labels);
      writeNpy(join(dir, 'seg', `${name}.npy`), { dtype, shape: [v.height, v.width], data });
    }
    if (v.depth) writeNpy(join(dir, 'depth', `${name}.npy`), { dtype: 'float32', shape: [v.height, v.width], data: v.depth });
  });
  return dir;
}

/** `n` instances of `views` plain views with labels that are all `labelOf(instance, view)`. */
export function writeUniformSplit(
  root: string,
  ids: string[],
  nViews: number,
  labelOf: (inst: number, view: number) => number[] = () => [0],
  side = 4,
): void {
  writeClassFile(root);
  ids.forEach((id, i) => {
    writeInstance(
      root,
      id,
      Array.from({ length: nViews }, (_, v) => {
        const cls = labelOf(i, v);
        // Each listed class fills a band of rows; the rest is background.
        const labels = new Int32Array(side * side);
        cls.forEach((c, k) => labels.fill(c, k * side, (k + 1) * side));
        return { width: side, height: side, labels };
      }),
    );
  });
}
