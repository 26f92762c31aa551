import type { Data, Layout } from 'plotly.js';
import { InvalidArgumentError, requireFinite } from '../core/errors.js';
import { PLOT_PALETTE, type PlotlyFigure } from './figure.js';
import { axisLayout } from './axes.js';
import { applyProvenance, type ProvenanceOptions } from './provenance.js';
import { escapePlotText, requireNonEmptyArray, requireText } from './validate.js';

/** One run of a sampler: where it sits on the chart and what the hover box tells about it. */
export interface RunPoint {
  x: number;
  y: number;
  /** Sampler or model name; points are grouped into one legend entry per method. */
  method: string;
  /** Number of denoising steps (network evaluations). */
  steps: number;
  /** Wall time in milliseconds, shown on hover when given. */
  timeMs?: number;
  /** A quality score (PSNR, FID, CLIP score...), shown on hover when given. */
  quality?: number;
  /** Any extra line for the hover box (seed, guidance scale...). */
  note?: string;
}

export interface ScatterChartOptions extends ProvenanceOptions {
  title: string;
  points: readonly RunPoint[];
  xTitle?: string;
  yTitle?: string;
  /** How the hover box names the quality score (default "quality"). */
  qualityName?: string;
  logX?: boolean;
  logY?: boolean;
  /** Print the step count next to each marker (default true). */
  stepLabels?: boolean;
}

function optionalFinite(field: string, value: number | undefined): number | null {
  return value === undefined ? null : requireFinite(field, value);
}

/**
 * Scatter of sampler runs, one trace per method, with a hover box showing method, steps, time and
 * quality (Plotly hovertemplate over customdata). Pure: data in, Plotly figure out.
 */
export function scatterChart(options: ScatterChartOptions): PlotlyFigure {
  const title = requireText('title', options.title);
  const points = requireNonEmptyArray<RunPoint>('points', options.points);
  const qualityName = escapePlotText(options.qualityName ?? 'quality');
  const byMethod = new Map<
    string,
    { x: number[]; y: number[]; custom: (string | number | null)[][]; steps: number[] }
  >();
  points.forEach((p, i) => {
    const field = `points[${i}]`;
    if (p === null || typeof p !== 'object') throw new InvalidArgumentError(field, p, 'expected a RunPoint object');
    const method = requireText(`${field}.method`, p.method);
    const x = requireFinite(`${field}.x`, p.x);
    const y = requireFinite(`${field}.y`, p.y);
    const steps = requireFinite(`${field}.steps`, p.steps, 0);
    const timeMs = optionalFinite(`${field}.timeMs`, p.timeMs);
    const quality = optionalFinite(`${field}.quality`, p.quality);
    if (p.note !== undefined && typeof p.note !== 'string')
      throw new InvalidArgumentError(`${field}.note`, p.note, 'expected a string');
    let group = byMethod.get(method);
    if (!group) {
      group = { x: [], y: [], custom: [], steps: [] };
      byMethod.set(method, group);
    }
    group.x.push(x);
    group.y.push(y);
    group.steps.push(steps);
    group.custom.push([
      escapePlotText(method),
      steps,
      timeMs === null ? 'n/a' : timeMs.toFixed(timeMs < 10 ? 2 : 1) + ' ms',
      quality === null ? 'n/a' : Number(quality.toPrecision(4)),
      p.note === undefined ? '' : '<br>' + escapePlotText(p.note),
    ]);
  });
  const hovertemplate =
    '<b>%{customdata[0]}</b><br>steps: %{customdata[1]}<br>time: %{customdata[2]}' +
    `<br>${qualityName}: %{customdata[3]}%{customdata[4]}<extra></extra>`;
  const showSteps = options.stepLabels !== false;
  const data: Data[] = [];
  let k = 0;
  for (const [method, g] of byMethod) {
    const color = PLOT_PALETTE[k++ % PLOT_PALETTE.length];
    data.push({
      type: 'scatter',
      mode: showSteps ? 'text+markers' : 'markers',
      name: method,
      x: g.x,
      y: g.y,
      customdata: g.custom,
      hovertemplate,
      text: g.steps.map((s) => String(s)),
      textposition: 'top center',
      marker: { size: 10, color },
    });
  }
  const layout: Partial<Layout> = {
    xaxis: axisLayout({ title: options.xTitle, log: options.logX, values: [...byMethod.values()].map((g) => g.x) }),
    yaxis: axisLayout({
      title: options.yTitle,
      log: options.logY,
      values: options.logY ? [...byMethod.values()].map((g) => g.y) : undefined,
    }),
    hovermode: 'closest',
  };
  return { data, layout: applyProvenance(layout, title, options) };
}
