/** Base class of every error the library throws on purpose. `code` is stable for tests and CLIs. */
export class FewstepError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value the caller passed is not allowed. The message names the field, the value and what is allowed. */
export class InvalidArgumentError extends FewstepError {
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(field: string, value: unknown, allowed: string) {
    super('E_INVALID_ARGUMENT', `${field} = ${formatValue(value)} is not allowed: ${allowed}`);
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/** Numbers went bad (NaN or Inf) inside a computation; `component` says where. */
export class NumericalError extends FewstepError {
  readonly component: string;
  constructor(component: string, message: string) {
    super('E_NUMERICAL', `${component}: ${message}`);
    this.component = component;
  }
}

/** A file or folder the library needs is missing or unreadable; the message says how to get it. */
export class MissingResourceError extends FewstepError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('E_MISSING_RESOURCE', message);
    this.path = path;
  }
}

/**
 * A model file exists but is malformed (JSON of the wrong shape, a truncated or corrupt .onnx): the
 * message names the file and what is wrong. A MissingResourceError, so callers that handle a missing
 * model handle a broken one the same way.
 */
export class ModelFileError extends MissingResourceError {
  constructor(path: string, message: string) {
    super(path, message);
    (this as { code: string }).code = 'E_MODEL_FILE';
  }
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (value === undefined) return 'undefined';
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(value);
  }
}

/** Throws InvalidArgumentError unless `value` is an integer in [min, max]. */
export function requireInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const tooBig = typeof value === 'number' && value > max;
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? `an integer >= ${min}${tooBig ? ' and <= 2^53 - 1 = 9007199254740991' : ''}`
        : `an integer in [${min}, ${max}]`;
    throw new InvalidArgumentError(field, value, `expected ${range}`);
  }
  return value;
}

/** Throws InvalidArgumentError unless `value` is a finite number in [min, max]. */
export function requireFinite(field: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, value, `expected a finite number in [${min}, ${max}]`);
  }
  return value;
}

/** Throws InvalidArgumentError unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(field, value, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** Throws NumericalError naming `component` if `data` holds a NaN or an infinity. */
export function assertFiniteArray(component: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw new NumericalError(component, `element ${i} is ${v}; the values must be finite`);
    }
  }
}
