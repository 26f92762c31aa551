/**
 * The Pareto front of a published table that reports both a latency and a quality metric (FID) for
 * the same methods (DMD's and ADD's Stable Diffusion 1.5 tables): rows joined by method and steps,
 * the non-dominated methods (`paretoFrontIndices`) and the knee (`kneePoint`). One table at a time:
 * protocols differ between tables, so fronts are never pooled across sources.
 *
 * The rows are read structurally (the shape of data/published-results.json), so this module stands
 * on core alone like the rest of src/pareto.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { paretoFrontIndices } from './front.js';
import { kneePoint } from './knee.js';
import type { ParetoPoint } from './types.js';

/** A published row as the front needs it (a row of data/published-results.json). */
export interface PublishedFrontRow {
  table: string;
  method: string;
  steps: number | null;
  metric: string;
  value: number;
  unit: string;
  hardware?: string;
  secondary?: boolean;
  protocol?: string;
  citation: { source: string; table: string; arxiv?: string; url?: string };
}

/** One method of a published front: its latency (cost) and FID; `quality` = -FID (the front maximises quality). */
export interface PublishedFrontPoint extends ParetoPoint {
  method: string;
  steps: number | null;
  /** "method, N steps" (or the method alone when the table gives no step count). */
  label: string;
  latency: number;
  fid: number;
}

/** What `publishedLatencyFront` returns: one table's points, front and knee, with its citation. */
export interface PublishedFront {
  table: string;
  /** The table's citation (as in data/), for `citationText`. */
  citation: PublishedFrontRow['citation'];
  /** True when any row was read in a transcription of the table rather than the paper. */
  secondary: boolean;
  protocol: string;
  /** The hardware the latencies were measured on (as the table states it). */
  hardware: string;
  latencyUnit: string;
  qualityMetric: string;
  /** Methods with both numbers, in table order. */
  points: PublishedFrontPoint[];
  /** Indices into `points` of the non-dominated methods, by ascending latency. */
  frontIndices: number[];
  /** Index into `points` of the knee of the front (Kneedle), or undefined when the front has fewer than three points. */
  kneeIndex?: number;
  /** Labels of the methods off the front. */
  dominated: string[];
  /** Rows of the table with only one of the two metrics (e.g. no latency reported), as "method, N steps". */
  unmatched: string[];
}

const labelOf = (method: string, steps: number | null) =>
  steps === null ? method : `${method}, ${steps} step${steps === 1 ? '' : 's'}`;

/** Options of `publishedLatencyFront`. */
export interface PublishedFrontOptions {
  /** Quality metric (default 'FID', lower is better). */
  qualityMetric?: string;
  /** Cost metric (default 'latency'). */
  costMetric?: string;
}

/** Ids of the tables in `rows` with at least two methods that have both the latency and the FID. */
export function publishedLatencyFidTables(
  rows: readonly PublishedFrontRow[],
  options: PublishedFrontOptions = {},
): string[] {
  if (!Array.isArray(rows)) throw new InvalidArgumentError('rows', rows, 'the rows of data/published-results.json');
  const quality = options.qualityMetric ?? 'FID';
  const cost = options.costMetric ?? 'latency';
  const tables = [...new Set(rows.map((r) => r.table))];
  return tables.filter((t) => {
    const key = (r: PublishedFrontRow) => `${r.method}\u0000${r.steps}`;
    const withCost = new Set(rows.filter((r) => r.table === t && r.metric === cost).map(key));
    return rows.filter((r) => r.table === t && r.metric === quality && withCost.has(key(r))).length >= 2;
  });
}

/**
 * The latency-vs-FID front of one published table: joins its latency rows and FID rows on
 * (method, steps), computes the non-dominated methods (minimise latency, minimise FID) and the knee.
 * Throws naming `table` when it has fewer than two joined methods, and naming `rows` when a
 * method has two values of one metric (e.g. latencies on two GPUs) or the latencies mix units or hardware.
 */
export function publishedLatencyFront(
  rows: readonly PublishedFrontRow[],
  table: string,
  options: PublishedFrontOptions = {},
): PublishedFront {
  if (!Array.isArray(rows)) throw new InvalidArgumentError('rows', rows, 'the rows of data/published-results.json');
  const quality = options.qualityMetric ?? 'FID';
  const cost = options.costMetric ?? 'latency';
  const ofTable = rows.filter((r) => r.table === table);
  const key = (r: PublishedFrontRow) => `${r.method}\u0000${r.steps}`;
  const index = (metric: string) => {
    const map = new Map<string, PublishedFrontRow>();
    for (const r of ofTable.filter((x) => x.metric === metric)) {
      if (map.has(key(r))) {
        throw new InvalidArgumentError(
          'rows',
          `${table}: ${labelOf(r.method, r.steps)}`,
          `one ${metric} per method and step count (found two; split the table by hardware or protocol first)`,
        );
      }
      map.set(key(r), r);
    }
    return map;
  };
  const costRows = index(cost);
  const qualityRows = index(quality);
  const points: PublishedFrontPoint[] = [];
  const unmatched: string[] = [];
  const joinedCost: PublishedFrontRow[] = [];
  for (const r of ofTable) {
    if (r.metric !== quality && r.metric !== cost) continue;
    const other = r.metric === quality ? costRows.get(key(r)) : qualityRows.get(key(r));
    if (other === undefined) {
      const label = labelOf(r.method, r.steps);
      if (!unmatched.includes(label)) unmatched.push(label);
      continue;
    }
    if (r.metric !== quality) continue;
    if (!Number.isFinite(r.value) || !Number.isFinite(other.value) || other.value <= 0) {
      throw new InvalidArgumentError(
        'rows',
        `${table}: ${labelOf(r.method, r.steps)}`,
        `a finite ${quality} and a positive ${cost}`,
      );
    }
    joinedCost.push(other);
    points.push({
      method: r.method,
      steps: r.steps,
      label: labelOf(r.method, r.steps),
      latency: other.value,
      fid: r.value,
      cost: other.value,
      quality: -r.value,
    });
  }
  if (points.length < 2) {
    const tables = publishedLatencyFidTables(rows, options);
    throw new InvalidArgumentError(
      'table',
      table,
      `a table with ${cost} and ${quality} for at least two methods: ${tables.join(', ') || 'none in these rows'}`,
    );
  }
  const units = [...new Set(joinedCost.map((r) => r.unit))];
  const hardware = [...new Set(joinedCost.map((r) => r.hardware ?? 'unstated'))];
  if (units.length !== 1 || hardware.length !== 1) {
    throw new InvalidArgumentError(
      'rows',
      `${table}: units ${units.join(', ')}; hardware ${hardware.join(', ')}`,
      `latencies in one unit on one machine`,
    );
  }
  const frontIndices = paretoFrontIndices(points);
  const onFront = new Set(frontIndices);
  const first = ofTable.find((r) => r.metric === quality) as PublishedFrontRow;
  return {
    table,
    citation: first.citation,
    secondary: ofTable.some((r) => r.secondary === true),
    protocol: first.protocol ?? '',
    hardware: hardware[0],
    latencyUnit: units[0],
    qualityMetric: quality,
    points,
    frontIndices,
    kneeIndex: frontIndices.length >= 3 ? kneePoint(points).index : undefined,
    dominated: points.filter((_, i) => !onFront.has(i)).map((p) => p.label),
    unmatched,
  };
}
