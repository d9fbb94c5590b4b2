/**
 * Vega-Lite v5 spec builders for the paper's charts. Builders only shape data (no rendering), so the
 * same spec goes to JupyterLab (interactive), `renderVegaLitePng` (fallback / artifacts) and tests.
 * Scores stay fractions in the data (as in results.json); axes and tooltips show percent, as the tables do.
 */
import type { TopLevelSpec } from 'vega-lite';
import { summarizeSeeds, type LabelSweepRecord, type SpreadKind } from './stats';

export type { TopLevelSpec } from 'vega-lite';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

interface ChartSize {
  title?: string;
  width?: number;
  height?: number;
}

export interface MiouVsLabelsOptions extends ChartSize {
  /** Band: ± sample std (default) or min…max over the seeded draws. */
  spread?: SpreadKind;
  xTitle?: string;
  yTitle?: string;
  /** Log-scale x axis (label counts often double: 1, 2, 4, …). */
  logX?: boolean;
  /** Fix the y domain, e.g. [0, 1]; default: fit the data. */
  yDomain?: [number, number];
}

/**
 * mIOU against the number of labelled examples: one line per method through the mean of the seeded
 * draws, with a shaded band (mean ± std, or min…max) — supplement Fig. 1.
 */
export function miouVsLabelsSpec(records: readonly LabelSweepRecord[], opts: MiouVsLabelsOptions = {}): TopLevelSpec {
  if (records.length === 0) throw new Error('miouVsLabelsSpec: records is empty');
  const values = summarizeSeeds(records, opts.spread ?? 'std');
  const bandTitle = { std: 'mean ± std', ci95: 'mean ± 95% CI', minmax: 'min … max' }[opts.spread ?? 'std'];
  const yScale = opts.yDomain ? { domain: opts.yDomain, zero: false } : { zero: false };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: opts.title ?? `mIOU vs number of labels (${bandTitle} over seeds)`,
    width: opts.width ?? 420,
    height: opts.height ?? 260,
    data: { values },
    encoding: {
      x: {
        field: 'numLabels',
        type: 'quantitative',
        title: opts.xTitle ?? 'number of labelled examples',
        // nice: false keeps a log axis from stretching to the next power of 10 (16 → 100).
        scale: opts.logX ? { type: 'log', nice: false } : { zero: false },
      },
      color: { field: 'method', type: 'nominal', title: 'method' },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          y: { field: 'lo', type: 'quantitative', title: opts.yTitle ?? 'mIOU (%)', scale: yScale, axis: { format: '.0%' } },
          y2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          y: { field: 'mean', type: 'quantitative', title: opts.yTitle ?? 'mIOU (%)', scale: yScale, axis: { format: '.0%' } },
          tooltip: [
            { field: 'method', type: 'nominal' },
            { field: 'numLabels', type: 'quantitative' },
            { field: 'mean', type: 'quantitative', title: 'mean mIOU', format: '.1%' },
            { field: 'std', type: 'quantitative', format: '.1%' },
            { field: 'n', type: 'quantitative', title: 'seeds' },
          ],
        },
      },
    ],
  };
}

export interface ClassIouRecord {
  method: string;
  className: string;
  iou: number;
}

export interface PerClassIouOptions extends ChartSize {
  /** Order of classes on the x axis; default: order of first appearance. */
  classOrder?: string[];
  yTitle?: string;
}

/** Per-class IoU as grouped bars: one group per class, one bar per method. */
export function perClassIouSpec(records: readonly ClassIouRecord[], opts: PerClassIouOptions = {}): TopLevelSpec {
  if (records.length === 0) throw new Error('perClassIouSpec: records is empty');
  records.forEach((r, i) => {
    if (typeof r.iou !== 'number' || !Number.isFinite(r.iou)) {
      throw new Error(`perClassIouSpec: records[${i}].iou must be a finite number, got ${String(r.iou)}`);
    }
  });
  const classOrder = opts.classOrder ?? [...new Set(records.map((r) => r.className))];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: opts.title ?? 'IoU per class',
    width: opts.width ?? Math.max(300, classOrder.length * 60),
    height: opts.height ?? 240,
    data: { values: records.map((r) => ({ ...r })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'className', type: 'nominal', title: 'class', sort: classOrder, axis: { labelAngle: 0 } },
      xOffset: { field: 'method', type: 'nominal' },
      y: { field: 'iou', type: 'quantitative', title: opts.yTitle ?? 'IoU (%)', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      color: { field: 'method', type: 'nominal', title: 'method' },
      tooltip: [
        { field: 'method', type: 'nominal' },
        { field: 'className', type: 'nominal', title: 'class' },
        { field: 'iou', type: 'quantitative', title: 'IoU', format: '.1%' },
      ],
    },
  };
}

/** One loss (or metric) curve; `steps` defaults to 0, 1, 2, … */
export interface CurveSeries {
  name: string;
  values: ArrayLike<number>;
  steps?: ArrayLike<number>;
}

export interface LossCurvesOptions extends ChartSize {
  logY?: boolean;
  xTitle?: string;
  yTitle?: string;
}

/** Several training curves on one chart (one colour per series), optionally on a log y axis. */
export function lossCurvesSpec(series: readonly CurveSeries[], opts: LossCurvesOptions = {}): TopLevelSpec {
  if (series.length === 0) throw new Error('lossCurvesSpec: series is empty');
  const values: { series: string; step: number; value: number }[] = [];
  for (const s of series) {
    if (s.steps && s.steps.length !== s.values.length) {
      throw new Error(`lossCurvesSpec: series '${s.name}' has ${s.steps.length} steps but ${s.values.length} values`);
    }
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) continue; // NaN/Inf (diverged step) would break the scale; leave a gap
      if (opts.logY && v <= 0) {
        throw new Error(`lossCurvesSpec: series '${s.name}' value ${v} at index ${i} cannot go on a log axis`);
      }
      values.push({ series: s.name, step: s.steps ? s.steps[i] : i, value: v });
    }
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: opts.title ?? 'training curves',
    width: opts.width ?? 420,
    height: opts.height ?? 260,
    data: { values },
    mark: { type: 'line', clip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: opts.xTitle ?? 'step' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: opts.yTitle ?? 'loss',
        scale: opts.logY ? { type: 'log' } : { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: 'series', sort: series.map((s) => s.name) },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 'step', type: 'quantitative' },
        { field: 'value', type: 'quantitative', format: '.5g' },
      ],
    },
  };
}
