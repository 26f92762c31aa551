import type { Config, Data, Layout } from 'plotly.js';

/** A Plotly figure as plain JSON: what `Plotly.newPlot(div, data, layout, config)` takes. */
export interface PlotlyFigure {
  data: Data[];
  layout: Partial<Layout>;
  config?: Partial<Config>;
}

/** Numbers as the builders accept them: plain arrays or typed arrays. */
export type NumberSeries = ArrayLike<number>;

/** Colours the builders cycle through (Plotly's default qualitative palette, as hex). */
export const PLOT_PALETTE: readonly string[] = [
  '#636efa',
  '#ef553b',
  '#00cc96',
  '#ab63fa',
  '#ffa15a',
  '#19d3f3',
  '#ff6692',
  '#b6e880',
  '#ff97ff',
  '#fecb52',
];
