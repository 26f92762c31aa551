import type { Data, Layout } from 'plotly.js';
import { InvalidArgumentError } from '../core/errors.js';
import { PLOT_PALETTE, type NumberSeries, type PlotlyFigure } from './figure.js';
import { axisLayout } from './axes.js';
import { applyProvenance, type ProvenanceOptions } from './provenance.js';
import { axisTitle, plotFinite, plotNumbers, requireNonEmptyArray, requireText } from './validate.js';

/** One bar per category for one group (e.g. one sampler's time per step count). */
export interface BarGroup {
  name: string;
  /** One value per category; NaN leaves the bar out. */
  values: NumberSeries;
  /** Symmetric error half-widths, one per category. */
  errors?: NumberSeries;
  /** An interval around each value (e.g. a ratio's range), drawn as asymmetric error bars; not with `errors`. */
  range?: { low: NumberSeries; high: NumberSeries };
  color?: string;
}

export interface GroupedBarChartOptions extends ProvenanceOptions {
  title: string;
  categories: readonly string[];
  groups: readonly BarGroup[];
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
}

/** Grouped bar chart: for each category, one bar per group side by side. Pure: data in, figure out. */
export function groupedBarChart(options: GroupedBarChartOptions): PlotlyFigure {
  const title = requireText('title', options.title);
  const categories = requireNonEmptyArray<string>('categories', options.categories).map((c, i) =>
    requireText(`categories[${i}]`, c),
  );
  const groups = requireNonEmptyArray<BarGroup>('groups', options.groups);
  const data: Data[] = groups.map((g, k) => {
    const field = `groups[${k}]`;
    if (g === null || typeof g !== 'object') throw new InvalidArgumentError(field, g, 'expected {name, values}');
    const name = requireText(`${field}.name`, g.name);
    const y = plotNumbers(`${field}.values`, g.values, true, categories.length);
    const trace: Data = {
      type: 'bar',
      name,
      x: categories.slice(),
      y,
      marker: { color: g.color ?? PLOT_PALETTE[k % PLOT_PALETTE.length] },
    };
    if (g.errors !== undefined) {
      const errors = plotFinite(`${field}.errors`, g.errors, categories.length);
      errors.forEach((e, i) => {
        if (e < 0) throw new InvalidArgumentError(`${field}.errors[${i}]`, e, 'expected a half-width >= 0');
      });
      trace.error_y = { type: 'data', array: errors, visible: true };
    }
    if (g.range !== undefined) {
      if (g.errors !== undefined)
        throw new InvalidArgumentError(`${field}.range`, 'with errors', 'errors or range, not both');
      const low = plotFinite(`${field}.range.low`, g.range?.low, categories.length);
      const high = plotFinite(`${field}.range.high`, g.range?.high, categories.length);
      const plus: number[] = [];
      const minus: number[] = [];
      y.forEach((v, i) => {
        const value = v ?? NaN;
        if (!(low[i] <= value && value <= high[i]) && Number.isFinite(value))
          throw new InvalidArgumentError(
            `${field}.range`,
            `[${low[i]}, ${high[i]}]`,
            `an interval around values[${i}] = ${value}`,
          );
        plus.push(Number.isFinite(value) ? high[i] - value : 0);
        minus.push(Number.isFinite(value) ? value - low[i] : 0);
      });
      trace.error_y = { type: 'data', symmetric: false, array: plus, arrayminus: minus, visible: true };
    }
    return trace;
  });
  const layout: Partial<Layout> = {
    barmode: 'group',
    xaxis: { title: axisTitle(options.xTitle), type: 'category' },
    yaxis: axisLayout({
      title: options.yTitle,
      log: options.logY,
      values: options.logY ? data.map((t) => (t as { y: number[] }).y) : undefined,
    }),
  };
  return { data, layout: applyProvenance(layout, title, options) };
}
