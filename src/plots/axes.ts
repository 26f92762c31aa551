import type { LayoutAxis } from 'plotly.js';
import { InvalidArgumentError, requireFinite } from '../core/errors.js';
import { axisTitle } from './validate.js';

/** Tick values beyond this many distinct integers are left to Plotly (its own spacing is >= 1 there). */
const MAX_LISTED_TICKS = 12;

/** A number as a tick label: up to 4 significant digits, no exponent for everyday magnitudes. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

/**
 * Ticks of a log axis over [lo, hi] (both > 0): 1-2-5 per decade for up to 3 decades, powers of ten
 * beyond, each labelled with its full value ("20", "50", not Plotly's bare minor digits "2", "5").
 */
export function logTicks(lo: number, hi: number): { tickvals: number[]; ticktext: string[] } {
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const mantissas = d1 - d0 <= 3 ? [1, 2, 5] : [1];
  const tickvals: number[] = [];
  for (let d = d0; d <= d1; d++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** d).toPrecision(12));
      if (v >= lo / 1.0001 && v <= hi * 1.0001) tickvals.push(v);
    }
  }
  // A narrow range (inside one 1-2-5 gap) keeps Plotly's own ticks: return the end points as well.
  if (tickvals.length < 2) return { tickvals: [lo, hi], ticktext: [tickLabel(lo), tickLabel(hi)] };
  return { tickvals, ticktext: tickvals.map(tickLabel) };
}

export interface AxisOptions {
  title?: string;
  log?: boolean;
  /** Every value plotted on this axis (null and non-finite values are ignored). */
  values?: readonly (readonly (number | null)[])[];
}

/**
 * A Plotly axis: title, linear or log type, and readable ticks. When every value is an integer and
 * there are at most 12 distinct ones (step counts, batch sizes), the ticks are exactly those values,
 * so a step axis never shows 1.5 or 2.5. A log axis gets 1-2-5 ticks with full labels.
 */
export function axisLayout(options: AxisOptions): Partial<LayoutAxis> {
  const axis: Partial<LayoutAxis> = { title: axisTitle(options.title), type: options.log ? 'log' : 'linear' };
  const values = (options.values ?? [])
    .flatMap((list) => Array.from(list))
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const usable = options.log ? values.filter((v) => v > 0) : values;
  if (usable.length === 0) return axis;
  const distinct = Array.from(new Set(usable)).sort((a, b) => a - b);
  if (distinct.every((v) => Number.isInteger(v)) && distinct.length <= MAX_LISTED_TICKS) {
    return { ...axis, tickmode: 'array', tickvals: distinct, ticktext: distinct.map(tickLabel) };
  }
  if (options.log) {
    const { tickvals, ticktext } = logTicks(distinct[0], distinct[distinct.length - 1]);
    return { ...axis, tickmode: 'array', tickvals, ticktext };
  }
  return axis;
}

/**
 * An axis range that holds every finite value of `series` with `padding` (a fraction of the span)
 * on both sides: for charts that set a fixed range, so nothing drawn is clipped.
 */
export function paddedRange(series: readonly ArrayLike<number | null>[], padding = 0.06): [number, number] {
  const values = series
    .flatMap((s) => Array.from(s))
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) throw new InvalidArgumentError('series', series, 'expected at least one finite value');
  requireFinite('padding', padding, 0);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo || Math.abs(hi) || 1) * padding;
  return [lo - pad, hi + pad];
}
