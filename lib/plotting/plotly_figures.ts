/**
 * Plotly figure builders (plain JSON: `{ data, layout }`), for what Vega-Lite does poorly:
 * rotatable 3D point clouds and zoomable curves. Shown by `showPlotly`, saved by `savePlotlyHtml`.
 */
import { classPalette } from './palette';

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export interface PointCloudOptions {
  /** Number of classes (palette size); default max label + 1. */
  numClasses?: number;
  /** Legend names per class id; default `class <id>`. */
  classNames?: string[];
  title?: string;
  markerSize?: number;
  /** Scene background; dark by default so white class 0 stays visible. */
  background?: string;
}

/**
 * A labelled 3D point cloud: one trace per class (so the legend toggles classes), coloured with
 * `classPalette` (class 0 white, others rainbow).
 * @param points flat [x0, y0, z0, x1, …] or [[x, y, z], …]
 * @param labels integer class id per point
 */
export function pointCloudFigure(
  points: ArrayLike<number> | readonly (readonly number[])[],
  labels: ArrayLike<number>,
  opts: PointCloudOptions = {},
): PlotlyFigure {
  const nested = points.length > 0 && Array.isArray(points[0]);
  const n = nested ? points.length : points.length / 3;
  if (!Number.isInteger(n)) throw new Error(`pointCloudFigure: flat points length ${points.length} is not a multiple of 3`);
  if (labels.length !== n) throw new Error(`pointCloudFigure: ${n} points but ${labels.length} labels`);
  const coord = nested
    ? (i: number, k: number) => (points as readonly (readonly number[])[])[i][k]
    : (i: number, k: number) => (points as ArrayLike<number>)[3 * i + k];
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0) throw new Error(`pointCloudFigure: labels[${i}] = ${l} is not a class id (integer >= 0)`);
    maxLabel = Math.max(maxLabel, l);
  }
  const numClasses = opts.numClasses ?? maxLabel + 1;
  if (maxLabel >= numClasses) throw new Error(`pointCloudFigure: label ${maxLabel} >= numClasses ${numClasses}`);
  const colors = classPalette(numClasses);
  const byClass = new Map<number, { x: number[]; y: number[]; z: number[] }>();
  for (let i = 0; i < n; i++) {
    let t = byClass.get(labels[i]);
    if (!t) byClass.set(labels[i], (t = { x: [], y: [], z: [] }));
    t.x.push(coord(i, 0));
    t.y.push(coord(i, 1));
    t.z.push(coord(i, 2));
  }
  const data = [...byClass.keys()]
    .sort((a, b) => a - b)
    .map((c) => ({
      type: 'scatter3d',
      mode: 'markers',
      name: opts.classNames?.[c] ?? `class ${c}`,
      ...byClass.get(c)!,
      // The outline keeps white class 0 visible in the (white) legend.
      marker: { size: opts.markerSize ?? 2.5, color: colors[c], opacity: 1, line: { color: '#777', width: 0.5 } },
      hovertemplate: `${opts.classNames?.[c] ?? `class ${c}`}<br>(%{x:.3f}, %{y:.3f}, %{z:.3f})<extra></extra>`,
    }));
  const axis = { color: '#ccc', gridcolor: '#555', zerolinecolor: '#777', backgroundcolor: opts.background ?? '#2b2b2b', showbackground: true };
  return {
    data,
    layout: {
      title: { text: opts.title ?? `point cloud (${n} points)` },
      margin: { l: 0, r: 0, t: 40, b: 0 },
      legend: { itemsizing: 'constant', bgcolor: '#eeeeee' },
      scene: { aspectmode: 'data', bgcolor: opts.background ?? '#2b2b2b', xaxis: axis, yaxis: axis, zaxis: axis },
    },
  };
}

export interface CurvesFigureOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
}

/** Interactive line chart (zoom, hover, toggle series) from `{ name, values, steps? }` series. */
export function curvesFigure(
  series: readonly { name: string; values: ArrayLike<number>; steps?: ArrayLike<number> }[],
  opts: CurvesFigureOptions = {},
): PlotlyFigure {
  if (series.length === 0) throw new Error('curvesFigure: series is empty');
  const data = series.map((s) => {
    if (s.steps && s.steps.length !== s.values.length) {
      throw new Error(`curvesFigure: series '${s.name}' has ${s.steps.length} steps but ${s.values.length} values`);
    }
    return {
      type: 'scatter',
      mode: 'lines',
      name: s.name,
      x: s.steps ? Array.from(s.steps) : Array.from({ length: s.values.length }, (_, i) => i),
      y: Array.from(s.values, (v) => (Number.isFinite(v) ? v : null)),
    };
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? 'curves' },
      xaxis: { title: { text: opts.xTitle ?? 'step' } },
      yaxis: { title: { text: opts.yTitle ?? 'value' }, type: opts.logY ? 'log' : 'linear' },
      margin: { t: 50 },
    },
  };
}
