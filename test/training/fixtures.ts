/** Small analytic scenes for training tests: a sphere seen from cameras around it, with 3 labels. */
import { lookAt, sphericalToCartesian, pixelRayDirection, type Intrinsics } from '../../lib/geometry/cameras';
import type { ObservedView } from '../../lib/training/data';

export function sphereViews(side: number, count: number, instanceIndex = 0, radius = 0.45, color: [number, number, number] = [0.8, -0.2, -0.6]): ObservedView[] {
  const k: Intrinsics = { fx: side * 1.1, fy: side * 1.1, cx: side / 2, cy: side / 2, height: side, width: side };
  const out: ObservedView[] = [];
  for (let i = 0; i < count; i++) {
    const eye = sphericalToCartesian(1.4, (2 * Math.PI * i) / count + 0.3, 0.35);
    const pose = lookAt(eye);
    const rgba = new Float32Array(side * side * 4).fill(1);
    const labels = new Int32Array(side * side);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const d = pixelRayDirection(k, pose, c, r);
        const b = eye[0] * d[0] + eye[1] * d[1] + eye[2] * d[2];
        const cc = eye[0] ** 2 + eye[1] ** 2 + eye[2] ** 2 - radius * radius;
        const disc = b * b - cc;
        if (disc < 0) continue;
        const t = -b - Math.sqrt(disc);
        const z = eye[2] + t * d[2];
        const p = r * side + c;
        const top = z > 0;
        labels[p] = top ? 1 : 2;
        const shade = 0.5 + 0.5 * (z / radius);
        rgba.set([color[0] * shade, top ? color[1] : 0.3, color[2] * shade, 1], p * 4);
      }
    }
    out.push({ instanceIndex, viewIndex: i, view: { rgba, labels, pose, intrinsics: k } });
  }
  return out;
}
