import type { Data, Layout } from 'plotly.js';
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import type { PlotlyFigure } from './figure.js';
import { applyProvenance, type ProvenanceOptions } from './provenance.js';
import { axisLayout } from './axes.js';
import { axisTitle, escapePlotText, requireNonEmptyArray, requireText } from './validate.js';

/** One candidate configuration on a speed/quality chart. */
export interface ParetoChartPoint {
  x: number;
  y: number;
  /** Shown on hover and next to front points, e.g. "DPM-Solver++ 8 steps". */
  label: string;
}

export interface ParetoChartOptions extends ProvenanceOptions {
  title: string;
  points: readonly ParetoChartPoint[];
  /** Indices (into points) of the non-dominated points, as the pareto module computes them. */
  frontIndices: readonly number[];
  /** Index (into points) of the knee point to mark, if any; it should lie on the front. */
  kneeIndex?: number;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  /** Draw the front as a staircase (what the dominated region really looks like) instead of straight segments. */
  staircase?: boolean;
}

/** Where a front label sits relative to its point. */
export type LabelPosition = 'top center' | 'top left' | 'bottom right';

/** Two labels closer than this (fraction of the axis ranges) would overlap. */
const LABEL_CLEARANCE = 0.09;

/**
 * Where each front label goes: above its point; when a neighbour's label is close, the two go diagonally apart
 * (up-left, down-right), and a third close one is hover only. Distances are measured as fractions
 * of the plotted ranges (log10 for a log x axis).
 */
export function placeLabels(
  x: readonly number[],
  y: readonly number[],
  labels: readonly string[],
  logX: boolean,
  allX: readonly number[] = x,
  allY: readonly number[] = y,
): { text: string[]; position: LabelPosition[] } {
  const tx = (v: number) => (logX ? Math.log10(Math.max(v, Number.MIN_VALUE)) : v);
  const span = (vs: number[]) => Math.max(...vs) - Math.min(...vs) || 1;
  const sx = span(allX.map(tx));
  const sy = span(allY.slice());
  const taken: { i: number; x: number; y: number; above: boolean }[] = [];
  const text: string[] = [];
  const position: LabelPosition[] = [];
  for (let i = 0; i < x.length; i++) {
    const px = tx(x[i]) / sx;
    const py = y[i] / sy;
    const near = (above: boolean) =>
      taken.find(
        (t) => t.above === above && Math.abs(t.x - px) < LABEL_CLEARANCE * 2.5 && Math.abs(t.y - py) < LABEL_CLEARANCE,
      );
    const nearAbove = near(true);
    if (!nearAbove) {
      position.push('top center');
      text.push(labels[i]);
      taken.push({ i, x: px, y: py, above: true });
      continue;
    }
    if (!near(false)) {
      // Close to a label above: that one moves up-left, this one goes down-right (diagonally apart).
      position[nearAbove.i] = 'top left';
      position.push('bottom right');
      text.push(labels[i]);
      taken.push({ i, x: px, y: py, above: false });
      continue;
    }
    position.push('top center');
    text.push('');
  }
  return { text, position };
}

/**
 * Pareto chart: every point in grey, the non-dominated front as a line through its points (sorted
 * by x), and the knee marked with a star. The front and knee come in as indices so this file only
 * draws. Pure: data in, Plotly figure out.
 */
export function paretoChart(options: ParetoChartOptions): PlotlyFigure {
  const title = requireText('title', options.title);
  const points = requireNonEmptyArray<ParetoChartPoint>('points', options.points);
  const xs: number[] = [];
  const ys: number[] = [];
  const labels: string[] = [];
  points.forEach((p, i) => {
    if (p === null || typeof p !== 'object')
      throw new InvalidArgumentError(`points[${i}]`, p, 'expected {x, y, label}');
    xs.push(requireFinite(`points[${i}].x`, p.x));
    ys.push(requireFinite(`points[${i}].y`, p.y));
    labels.push(escapePlotText(requireText(`points[${i}].label`, p.label)));
  });
  if (!Array.isArray(options.frontIndices)) {
    throw new InvalidArgumentError('frontIndices', options.frontIndices, 'expected an array of point indices');
  }
  const seen = new Set<number>();
  const front = options.frontIndices.map((idx, j) => {
    requireInteger(`frontIndices[${j}]`, idx, 0, points.length - 1);
    if (seen.has(idx)) throw new InvalidArgumentError(`frontIndices[${j}]`, idx, 'expected distinct indices');
    seen.add(idx);
    return idx;
  });
  front.sort((a, b) => xs[a] - xs[b] || ys[a] - ys[b]);
  const hovertemplate = '<b>%{text}</b><br>x: %{x}<br>y: %{y}<extra></extra>';
  const data: Data[] = [
    {
      type: 'scatter',
      mode: 'markers',
      name: 'all configurations',
      x: xs,
      y: ys,
      text: labels,
      hovertemplate,
      marker: { size: 8, color: '#9e9e9e' },
    },
  ];
  const placed = placeLabels(
    front.map((i) => xs[i]),
    front.map((i) => ys[i]),
    front.map((i) => labels[i]),
    options.logX === true,
    xs,
    ys,
  );
  if (front.length > 0) {
    data.push({
      type: 'scatter',
      mode: 'text+lines+markers',
      name: 'Pareto front',
      x: front.map((i) => xs[i]),
      y: front.map((i) => ys[i]),
      text: placed.text,
      textposition: placed.position as unknown as 'top center',
      cliponaxis: false,
      hovertemplate,
      line: { color: '#ef553b', width: 2, shape: options.staircase ? 'hv' : 'linear' },
      marker: { size: 10, color: '#ef553b' },
    });
  }
  if (options.kneeIndex !== undefined) {
    const knee = requireInteger('kneeIndex', options.kneeIndex, 0, points.length - 1);
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `knee: ${labels[knee]}`,
      x: [xs[knee]],
      y: [ys[knee]],
      text: [labels[knee]],
      hovertemplate,
      marker: { size: 20, symbol: 'star', color: '#ffa15a', line: { width: 1, color: '#333333' } },
    });
  }
  const layout: Partial<Layout> = {
    xaxis: axisLayout({ title: options.xTitle, log: options.logX, values: [xs] }),
    yaxis: { title: axisTitle(options.yTitle) },
    hovermode: 'closest',
  };
  return { data, layout: applyProvenance(layout, title, options) };
}
