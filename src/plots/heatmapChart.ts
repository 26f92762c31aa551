import type { Data, Layout } from 'plotly.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { PlotlyFigure } from './figure.js';
import { applyProvenance, type ProvenanceOptions } from './provenance.js';
import { axisTitle, plotNumbers, requireNonEmptyArray, requireText } from './validate.js';

export interface HeatmapChartOptions extends ProvenanceOptions {
  title: string;
  /** Rows of values, z[row][column]; all rows the same length. NaN leaves a cell empty. */
  z: readonly ArrayLike<number>[];
  /** Column labels (length = row length). */
  x?: readonly (string | number)[];
  /** Row labels (length = number of rows). */
  y?: readonly (string | number)[];
  xTitle?: string;
  yTitle?: string;
  /** Colour bar title (the quantity in the cells). */
  zTitle?: string;
  /** A Plotly colorscale name (default 'Viridis'). */
  colorscale?: string;
  /** Reverse the colour scale (for "lower is better" quantities). */
  reverseScale?: boolean;
  /** Print each cell's value in it, formatted with this d3 format (e.g. '.2f'). */
  valueFormat?: string;
}

function checkLabels(field: string, labels: unknown, length: number): (string | number)[] | undefined {
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels) || labels.length !== length) {
    throw new InvalidArgumentError(field, labels, `expected an array of ${length} labels`);
  }
  return labels.slice();
}

/** Heatmap of a matrix (e.g. quality over steps x guidance scale). Pure: data in, Plotly figure out. */
export function heatmapChart(options: HeatmapChartOptions): PlotlyFigure {
  const title = requireText('title', options.title);
  const rows = requireNonEmptyArray<ArrayLike<number>>('z', options.z);
  const width = rows[0]?.length;
  if (typeof width !== 'number' || width === 0)
    throw new InvalidArgumentError('z[0]', rows[0], 'expected a non-empty row');
  const z = rows.map((row, r) => plotNumbers(`z[${r}]`, row, true, width));
  const trace: Data = {
    type: 'heatmap',
    z,
    colorscale: options.colorscale ?? 'Viridis',
    reversescale: options.reverseScale === true,
    colorbar: options.zTitle === undefined ? undefined : { title: { text: options.zTitle } },
    hoverongaps: false,
  } as Data;
  const x = checkLabels('x', options.x, width);
  const y = checkLabels('y', options.y, rows.length);
  const t = trace as Record<string, unknown>;
  if (x) t.x = x;
  if (y) t.y = y;
  if (t.colorbar === undefined) delete t.colorbar;
  if (options.valueFormat !== undefined) t.texttemplate = `%{z:${options.valueFormat}}`;
  const layout: Partial<Layout> = {
    xaxis: { title: axisTitle(options.xTitle), type: x && typeof x[0] === 'string' ? 'category' : undefined },
    yaxis: { title: axisTitle(options.yTitle), type: y && typeof y[0] === 'string' ? 'category' : undefined },
  };
  return { data: [trace], layout: applyProvenance(layout, title, options) };
}
