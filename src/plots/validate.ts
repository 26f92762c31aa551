import { InvalidArgumentError } from '../core/errors.js';

/** True for arrays and typed arrays (anything with a numeric length and indexes), not strings. */
function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { length?: unknown }).length === 'number';
}

/**
 * Copies `values` into a plain array for Plotly JSON. Finite numbers pass; NaN becomes null (a gap
 * in the line) when `allowGaps`; anything else throws InvalidArgumentError naming `field[i]`.
 */
export function plotNumbers(
  field: string,
  values: unknown,
  allowGaps = false,
  expectedLength?: number,
): (number | null)[] {
  if (!isArrayLike(values)) {
    throw new InvalidArgumentError(field, values, 'expected an array or typed array of numbers');
  }
  if (expectedLength !== undefined && values.length !== expectedLength) {
    throw new InvalidArgumentError(`${field}.length`, values.length, `expected ${expectedLength} (the length of x)`);
  }
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) out[i] = v;
    else if (allowGaps && typeof v === 'number' && Number.isNaN(v)) out[i] = null;
    else {
      throw new InvalidArgumentError(
        `${field}[${i}]`,
        v,
        allowGaps ? 'expected a finite number or NaN (a gap)' : 'expected a finite number',
      );
    }
  }
  return out;
}

/** Like plotNumbers, with no gaps: every value finite. */
export function plotFinite(field: string, values: unknown, expectedLength?: number): number[] {
  return plotNumbers(field, values, false, expectedLength) as number[];
}

/** Checks a non-empty string (a title, a series name). */
export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(field, value, 'expected a non-empty string');
  }
  return value;
}

/** Checks a non-empty array, returning it. */
export function requireNonEmptyArray<T>(field: string, value: unknown): readonly T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError(field, value, 'expected a non-empty array');
  }
  return value as readonly T[];
}

/** An axis title object in Plotly 3's form (string titles were removed in plotly.js 3). */
export function axisTitle(text: string | undefined): { text: string } | undefined {
  return text === undefined ? undefined : { text };
}

/** `#rrggbb` as `rgba(r, g, b, alpha)`: the translucent fill of a spread band. */
export function hexToRgba(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
}

/** Escapes the characters Plotly's pseudo-HTML text would interpret (`&`, `<`, `>`). */
export function escapePlotText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
