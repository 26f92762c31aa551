import * as os from 'node:os';
import { InvalidArgumentError } from '../core/errors.js';
import type { Layout } from 'plotly.js';
import { escapePlotText } from './validate.js';

/**
 * Where a chart's or a table's numbers come from (DESIGN: "Every figure is measured or cited"):
 * - `measured`: measured now, in this run, on this machine (the label names the machine);
 * - `recorded`: measured earlier and read from `data/` (or a training record): carries the date and machine;
 * - `formula`: computed from an analytic formula (a noise schedule, LCM's c_skip/c_out), nothing measured;
 * - `published`: read from a paper or vendor page: carries the citation;
 * - `simulation`: an illustration, not a measurement (watermarked SIMULATION).
 */
export type Provenance = 'measured' | 'recorded' | 'formula' | 'published' | 'simulation';

/** The allowed provenance kinds, for validation and menus. */
export const PROVENANCES: readonly Provenance[] = ['measured', 'recorded', 'formula', 'published', 'simulation'];

/** The provenance every chart builder and table requires. */
export interface ProvenanceOptions {
  provenance: Provenance;
  /**
   * What the numbers are: for `measured` the setup (runs, seeds); for `recorded` the file or command
   * that wrote them; for `formula` the formula or function; for `published` the citation (required);
   * for `simulation` what was simulated.
   */
  source?: string;
  /** `recorded` (required): when the numbers were measured, an ISO date (e.g. '2026-11-26' or a full timestamp). */
  date?: string;
  /**
   * `recorded` (required): the machine that measured them (e.g. 'Intel(R) Xeon(R) Processor, 2 cores').
   * `measured`: replaces the description of this machine (default: `thisMachine(provider)`).
   */
  machine?: string;
  /** `measured`: the execution provider the numbers were measured with (e.g. 'cpu', 'cuda'), added to the machine. */
  provider?: string;
  /**
   * `measured`: when the numbers were measured, if not in this run (ISO timestamp): they were read from
   * this machine's measurement cache, and the label says so with the time instead of "measured now".
   */
  measuredAt?: string;
}

/** The machine-readable provenance a chart keeps in `layout.meta` and a table in its bundle's metadata. */
export interface ProvenanceRecord {
  provenance: Provenance;
  source: string | null;
  date: string | null;
  machine: string | null;
  /** The text the chart or table shows. */
  label: string;
}

/** This machine as a label names it: CPU model, logical cores and (when given) the execution provider. */
export function thisMachine(provider?: string): string {
  const cpus = os.cpus();
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length;
  const model = cpus.length > 0 ? cpus[0].model.trim().replace(/\s+/g, ' ') : `unknown ${os.arch()} CPU`;
  return `${model}, ${cores} core${cores === 1 ? '' : 's'}${provider ? `, ${provider}` : ''}`;
}

function optionalText(field: string, value: unknown, kind: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(field, value, `expected a non-empty string or undefined (provenance '${kind}')`);
  }
  return value.trim();
}

function requiredText(field: string, value: unknown, kind: string, what: string): string {
  const text = optionalText(field, value, kind);
  if (text === undefined) throw new InvalidArgumentError(field, value, `provenance '${kind}' needs ${what}`);
  return text;
}

/** Checks a provenance and returns its record (kind, source, date, machine and the label to show). */
export function provenanceRecord(options: ProvenanceOptions): ProvenanceRecord {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      'provenance',
      options,
      `expected {provenance, source, ...}: every chart and table says where its numbers come from`,
    );
  }
  const kind = options.provenance;
  if (typeof kind !== 'string' || !(PROVENANCES as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(
      'provenance',
      kind,
      `every chart and table says where its numbers come from: one of ${PROVENANCES.map((p) => `'${p}'`).join(', ')}`,
    );
  }
  const source = optionalText('source', options.source, kind);
  let date: string | undefined;
  let machine: string | undefined;
  let label: string;
  switch (kind as Provenance) {
    case 'measured': {
      const provider = optionalText('provider', options.provider, kind);
      machine = optionalText('machine', options.machine, kind) ?? thisMachine(provider);
      if (options.machine !== undefined && provider) machine = `${machine}, ${provider}`;
      const at = optionalText('measuredAt', options.measuredAt, kind);
      if (at !== undefined && (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(at) || Number.isNaN(Date.parse(at)))) {
        throw new InvalidArgumentError(
          'measuredAt',
          options.measuredAt,
          "an ISO timestamp such as '2026-12-06T03:47:00Z'",
        );
      }
      if (at !== undefined) date = at;
      label =
        at === undefined
          ? `measured now on ${machine}${source ? ` (${source})` : ''}`
          : `measured ${at.slice(0, 16).replace('T', ' ')} UTC on ${machine}, read from the measurement cache${source ? ` (${source})` : ''}`;
      break;
    }
    case 'recorded': {
      date = requiredText('date', options.date, kind, 'the date the numbers were measured (ISO date)');
      if (!/^\d{4}-\d{2}-\d{2}/.test(date) || Number.isNaN(Date.parse(date))) {
        throw new InvalidArgumentError(
          'date',
          options.date,
          "expected an ISO date such as '2026-11-26' or '2026-11-26T10:31:32Z'",
        );
      }
      machine = requiredText('machine', options.machine, kind, 'the machine that measured the numbers');
      label = `recorded ${date.slice(0, 10)} on ${machine}${source ? `: ${source}` : ''}`;
      break;
    }
    case 'formula':
      label = source ? `formula: ${source} (computed, nothing measured)` : 'formula (computed, nothing measured)';
      break;
    case 'published':
      label = `published: ${requiredText('source', options.source, kind, 'the citation as source')}`;
      break;
    case 'simulation':
      label = source ? `SIMULATION (${source}), not measured` : 'SIMULATION, not measured';
      break;
    default:
      throw new InvalidArgumentError('provenance', kind, `one of ${PROVENANCES.join(', ')}`);
  }
  return { provenance: kind, source: source ?? null, date: date ?? null, machine: machine ?? null, label };
}

/**
 * The text a chart or table shows about where its numbers come from, e.g.
 * "measured now on AMD EPYC 7B13, 2 cores, cpu (5 runs)", "recorded 2026-11-26 on Intel(R) Xeon(R) Processor, 2 cores: ...",
 * "formula: ...", "published: <citation>" or "SIMULATION (...), not measured".
 */
export function provenanceLabel(options: ProvenanceOptions): string {
  return provenanceRecord(options).label;
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
 * Records it in `layout.meta` (kind, source, date, machine, label) so tools can check charts without parsing text.
 */
export function applyProvenance(layout: Partial<Layout>, title: string, options: ProvenanceOptions): Partial<Layout> {
  const record = provenanceRecord(options);
  const label = escapePlotText(record.label);
  const annotations = [...(layout.annotations ?? [])];
  if (record.provenance === 'simulation') {
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
    meta: { ...record },
  } as Partial<Layout>;
}
