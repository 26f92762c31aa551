/**
 * The published results the course shows beside its measurements: data/published-results.json
 * (made by data/make-published-results.mjs from ../shared/reference/published-results.md), one row
 * per reported number, every row with its citation. One reader and one citation format for every
 * notebook.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';

/** Where a published number comes from. */
export interface PublishedCitation {
  source: string;
  table: string;
  arxiv?: string;
  url?: string;
}

/** One reported number of data/published-results.json. */
export interface PublishedResult {
  /** Id of the source table; rows of one table share a protocol and are comparable with each other only. */
  table: string;
  paper: string;
  citation: PublishedCitation;
  dataset?: string;
  protocol: string;
  metric: string;
  unit: string;
  better?: 'lower' | 'higher';
  method: string;
  /** Sampler steps, or null for rows without a step count (e.g. a teacher's reference). */
  steps: number | null;
  value: number;
  /** Numbers read in a transcription of the table rather than the paper itself. */
  secondary?: boolean;
  hardware?: string;
  resolution?: number;
  stepsCounted?: string;
  /** Computed from other published numbers (e.g. FLOPs / peak), not reported as such. */
  derived?: boolean;
  note?: string;
}

/** A published claim without a plottable number (shown as text, never as a point). */
export interface PublishedClaim {
  claim: string;
  paper: string | null;
  citation: PublishedCitation | null;
}

/** The whole file. */
export interface PublishedResults {
  description: string;
  rows: PublishedResult[];
  qualitative: PublishedClaim[];
}

/** Reads data/published-results.json (default: the package's own); throws naming the file when it is missing or malformed. */
export function readPublishedResults(
  file = path.join(packageRoot(), 'data', 'published-results.json'),
): PublishedResults {
  if (!fs.existsSync(file))
    throw new MissingResourceError(file, `${file} does not exist; make it with node data/make-published-results.mjs`);
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<PublishedResults>;
  if (!Array.isArray(data.rows)) throw new InvalidArgumentError('file', file, 'a published-results.json with rows[]');
  data.rows.forEach((r, i) => {
    if (typeof r.table !== 'string' || typeof r.value !== 'number' || typeof r.citation?.source !== 'string') {
      throw new InvalidArgumentError(`rows[${i}]`, r, 'a row with table, value and citation.source');
    }
  });
  return {
    description: data.description ?? '',
    rows: data.rows,
    qualitative: Array.isArray(data.qualitative) ? data.qualitative : [],
  };
}

/** "source, table (url or arXiv id)" of a published row: what a published chart or table shows as its source. */
export function citationText(row: Pick<PublishedResult, 'citation'>): string {
  const c = row?.citation;
  if (!c || typeof c.source !== 'string')
    throw new InvalidArgumentError('row.citation', c, 'expected {source, table, url?|arxiv?}');
  const where = c.url ?? (c.arxiv ? `arXiv:${c.arxiv}` : undefined);
  return `${c.source}, ${c.table}${where ? ` (${where})` : ''}`;
}

/**
 * The one published row of `table` for `method` at `steps` with `metric` (and `hardware`, when the
 * table has several); throws naming what the table holds when there is not exactly one.
 */
export function findPublishedResult(
  rows: readonly PublishedResult[],
  query: { table: string; method: string; steps: number | null; metric: string; hardware?: string },
): PublishedResult {
  const hits = rows.filter(
    (r) =>
      r.table === query.table &&
      r.method === query.method &&
      r.steps === query.steps &&
      r.metric === query.metric &&
      (query.hardware === undefined || r.hardware === query.hardware),
  );
  if (hits.length !== 1) {
    const inTable = rows
      .filter((r) => r.table === query.table)
      .map((r) => `${r.method} ${r.steps} ${r.metric}${r.hardware ? ` (${r.hardware})` : ''}`);
    throw new InvalidArgumentError(
      'query',
      query,
      `exactly one row (found ${hits.length}); table ${query.table} holds: ${inTable.join('; ') || 'nothing'}`,
    );
  }
  return hits[0];
}

/** One published table's metric as lines (value vs steps, one per method), with its citation. */
export interface PublishedPanel {
  table: string;
  metric: string;
  better?: 'lower' | 'higher';
  protocol: string;
  /** "source, table (url or arXiv id)" (and "numbers read in a transcription" when a row is secondary). */
  citation: string;
  series: { name: string; x: number[]; y: number[] }[];
  /** Rows of this metric without a step count (e.g. the teacher's reference), as "method: value". */
  withoutSteps: string[];
}

/**
 * The rows of one published table with one metric (default the table's first FID-like metric: the
 * first metric of its rows), grouped by method into value-vs-steps series sorted by steps. Rows of
 * other metrics (CLIP score, latency) are not mixed in. Throws when the table has no such rows.
 */
export function publishedPanel(rows: readonly PublishedResult[], table: string, metric?: string): PublishedPanel {
  if (!Array.isArray(rows)) throw new InvalidArgumentError('rows', rows, 'the rows of data/published-results.json');
  const ofTable = rows.filter((r) => r.table === table);
  if (ofTable.length === 0)
    throw new InvalidArgumentError('table', table, `one of ${[...new Set(rows.map((r) => r.table))].join(', ')}`);
  const m = metric ?? ofTable[0].metric;
  const chosen = ofTable.filter((r) => r.metric === m);
  if (chosen.length === 0)
    throw new InvalidArgumentError(
      'metric',
      m,
      `a metric of ${table}: ${[...new Set(ofTable.map((r) => r.metric))].join(', ')}`,
    );
  const byMethod = new Map<string, { x: number[]; y: number[] }>();
  const withoutSteps: string[] = [];
  for (const r of chosen) {
    if (r.steps === null || r.steps === undefined) {
      withoutSteps.push(`${r.method}: ${r.value}`);
      continue;
    }
    const s = byMethod.get(r.method) ?? { x: [], y: [] };
    s.x.push(r.steps);
    s.y.push(r.value);
    byMethod.set(r.method, s);
  }
  const series = [...byMethod.entries()].map(([name, s]) => {
    const order = s.x.map((_, i) => i).sort((a, b) => s.x[a] - s.x[b]);
    return { name, x: order.map((i) => s.x[i]), y: order.map((i) => s.y[i]) };
  });
  const citation = `${citationText(chosen[0])}${chosen.some((r) => r.secondary) && !/transcription/.test(chosen[0].citation.table) ? ' (numbers read in a transcription of the table)' : ''}`;
  return { table, metric: m, better: chosen[0].better, protocol: chosen[0].protocol, citation, series, withoutSteps };
}
