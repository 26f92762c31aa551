import { InvalidArgumentError, requireOneOf } from '../core/errors.js';
import type { Layout } from 'plotly.js';
import { escapePlotText } from './validate.js';

/** Where a chart's numbers come from. Every chart in the course says which (DESIGN: "Every figure is measured or cited"). */
export type Provenance = 'measured' | 'published' | 'simulated';

/** The provenance every builder requires; `source` names the machine, paper or model behind the numbers. */
export interface ProvenanceOptions {
  provenance: Provenance;
  /** For 'published' (required): the citation. For 'measured': the machine or setup. For 'simulated': what was simulated. */
  source?: string;
}

/** The allowed provenance values, for validation and menus. */
export const PROVENANCES: readonly Provenance[] = ['measured', 'published', 'simulated'];

/**
 * The text a chart shows about where its numbers come from:
 * "measured on this machine", "published: <source>" or "SIMULATION".
 */
export function provenanceLabel(options: ProvenanceOptions): string {
  const provenance = requireOneOf('provenance', options?.provenance, PROVENANCES);
  const source = options.source;
  if (source !== undefined && (typeof source !== 'string' || source.trim() === '')) {
    throw new InvalidArgumentError('source', source, 'expected a non-empty string or undefined');
  }
  switch (provenance) {
    case 'measured':
      return source ? `measured on this machine (${source})` : 'measured on this machine';
    case 'published':
      if (!source) {
        throw new InvalidArgumentError('source', source, "provenance 'published' needs the citation as source");
      }
      return `published: ${source}`;
    case 'simulated':
      return source ? `SIMULATION (${source}), not measured` : 'SIMULATION, not measured';
  }
}

/** Characters per title line: what fits a chart about 700 px wide at Plotly's 17 px title font. */
export const TITLE_LINE_CHARS = 70;
/** Characters per line of the smaller provenance line under the title. */
export const LABEL_LINE_CHARS = 100;

/**
 * Breaks Plotly title text into lines of at most about `maxChars` visible characters, at spaces
 * outside tags (`<i>`, `<span ...>` stay whole); a word longer than a line stays whole.
 */
export function wrapPlotText(text: string, maxChars: number): string[] {
  const existing = text.split(/<br\s*\/?>/i);
  const lines: string[] = [];
  for (const part of existing) {
    const words = part.match(/(?:<[^>]*>|[^\s<])+|<[^>]*>/g) ?? [''];
    let line = '';
    let visible = 0;
    for (const word of words) {
      const len = word.replace(/<[^>]*>/g, '').replace(/&[a-z#0-9]+;/gi, 'x').length;
      if (line !== '' && visible + 1 + len > maxChars) {
        lines.push(line);
        line = word;
        visible = len;
      } else {
        line = line === '' ? word : `${line} ${word}`;
        visible += (visible === 0 ? 0 : 1) + len;
      }
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Puts the provenance into a layout where every Plotly version shows it: a second title line
 * (`<br><sup>`), and, for simulations, a faint "SIMULATION" watermark across the plot.
 * Also records it in `layout.meta` so tools can check charts without parsing text.
 */
export function applyProvenance(layout: Partial<Layout>, title: string, options: ProvenanceOptions): Partial<Layout> {
  const label = escapePlotText(provenanceLabel(options));
  const annotations = [...(layout.annotations ?? [])];
  if (options.provenance === 'simulated') {
    annotations.push({
      text: 'SIMULATION',
      xref: 'paper',
      yref: 'paper',
      x: 0.5,
      y: 0.5,
      showarrow: false,
      textangle: -20 as unknown as string, // the typings say string; Plotly takes degrees
      opacity: 0.12,
      font: { size: 64, color: '#c00000' },
    });
  }
  const previousMargin = layout.margin ?? {};
  // Plotly never wraps a title: long ones (a published panel's paper, metric and protocol) were cut.
  const titleLines = wrapPlotText(title, TITLE_LINE_CHARS);
  const labelLines = wrapPlotText(label, LABEL_LINE_CHARS);
  const extraLines = titleLines.length - 1 + labelLines.length - 1;
  return {
    ...layout,
    title: { text: `${titleLines.join('<br>')}<br><sup>${labelLines.join('<br>')}</sup>`, x: 0.02, xanchor: 'left' },
    margin: { ...previousMargin, t: Math.max(previousMargin.t ?? 0, 80 + 22 * extraLines) },
    annotations,
    meta: { provenance: options.provenance, source: options.source ?? null },
  } as Partial<Layout>;
}
