import type { Data, Layout } from 'plotly.js';
import { InvalidArgumentError } from '../core/errors.js';
import { PLOT_PALETTE, type NumberSeries, type PlotlyFigure } from './figure.js';
import { axisLayout } from './axes.js';
import { applyProvenance, type ProvenanceOptions } from './provenance.js';
import { hexToRgba, plotFinite, plotNumbers, requireNonEmptyArray, requireText } from './validate.js';

/** One line: y over x, with optional symmetric error bars or a lower/upper spread band. */
export interface LineSeries {
  name: string;
  x: NumberSeries;
  /** NaN values leave a gap in the line. */
  y: NumberSeries;
  /** Symmetric error bar half-widths (e.g. the IQR/2 or a standard deviation), one per point. */
  errorY?: NumberSeries;
  /** A shaded band between lower and upper (e.g. quartiles across seeds), one pair per point. */
  band?: { lower: NumberSeries; upper: NumberSeries };
  /** Line colour (`#rrggbb`); defaults to the palette in series order. */
  color?: string;
  dash?: 'solid' | 'dash' | 'dot' | 'dashdot';
  /** Draw markers on the points (default true). */
  markers?: boolean;
}

export interface LineChartOptions extends ProvenanceOptions {
  title: string;
  series: readonly LineSeries[];
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
}

/**
 * Line chart of one or more series (y over x), each with optional error bars or a spread band,
 * titled with its provenance. Pure: data in, Plotly figure out.
 */
export function lineChart(options: LineChartOptions): PlotlyFigure {
  const title = requireText('title', options.title);
  const series = requireNonEmptyArray<LineSeries>('series', options.series);
  const data: Data[] = [];
  const xValues: number[][] = [];
  const yValues: (number | null)[][] = [];
  series.forEach((s, k) => {
    const field = `series[${k}]`;
    const name = requireText(`${field}.name`, s?.name);
    const x = plotFinite(`${field}.x`, s.x);
    const y = plotNumbers(`${field}.y`, s.y, true, x.length);
    xValues.push(x);
    yValues.push(y);
    const color = s.color ?? PLOT_PALETTE[k % PLOT_PALETTE.length];
    const group = `series-${k}`;
    if (s.band !== undefined) {
      const lower = plotNumbers(`${field}.band.lower`, s.band?.lower, true, x.length);
      const upper = plotNumbers(`${field}.band.upper`, s.band?.upper, true, x.length);
      for (let i = 0; i < x.length; i++) {
        const lo = lower[i];
        const hi = upper[i];
        if (lo !== null && hi !== null && lo > hi) {
          throw new InvalidArgumentError(`${field}.band.lower[${i}]`, lo, `expected <= band.upper[${i}] = ${hi}`);
        }
      }
      data.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: upper,
        name: `${name} (upper)`,
        legendgroup: group,
        showlegend: false,
        hoverinfo: 'skip',
        line: { width: 0, color },
      });
      data.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: lower,
        name: `${name} (band)`,
        legendgroup: group,
        showlegend: false,
        hoverinfo: 'skip',
        line: { width: 0, color },
        fill: 'tonexty',
        fillcolor: hexToRgba(color, 0.2),
      });
    }
    const trace: Data = {
      type: 'scatter',
      mode: s.markers === false ? 'lines' : 'lines+markers',
      x,
      y,
      name,
      legendgroup: group,
      line: { color, dash: s.dash ?? 'solid' },
    };
    if (s.errorY !== undefined) {
      const errors = plotFinite(`${field}.errorY`, s.errorY, x.length);
      errors.forEach((e, i) => {
        if (e < 0) throw new InvalidArgumentError(`${field}.errorY[${i}]`, e, 'expected a half-width >= 0');
      });
      trace.error_y = { type: 'data', array: errors, visible: true, color };
    }
    data.push(trace);
  });
  const layout: Partial<Layout> = {
    xaxis: axisLayout({ title: options.xTitle, log: options.logX, values: xValues }),
    yaxis: axisLayout({ title: options.yTitle, log: options.logY, values: options.logY ? yValues : undefined }),
    hovermode: 'closest',
  };
  return { data, layout: applyProvenance(layout, title, options) };
}
