/** Time per image as a straight line in the step count: a fixed cost per image plus a cost per step. */
import { InvalidArgumentError, requireFinite } from '../core/errors.js';

// simple-statistics' typings are ESM-only; its CommonJS build loads with require (as in ./stats.ts).
const { linearRegression, rSquared } = require('simple-statistics') as {
  linearRegression: (data: number[][]) => { m: number; b: number };
  rSquared: (data: number[][], f: (x: number) => number) => number;
};

/** A straight line ms = fixedMs + msPerStep * steps through measured times, and how well it fits. */
export interface SpeedLineFit {
  /** Cost paid once per image whatever the step count (text encoder, VAE, PNG, set-up). */
  fixedMs: number;
  /** Cost of one more step. */
  msPerStep: number;
  /** Coefficient of determination of the fit (1: perfectly linear). */
  r2: number;
}

/** Ordinary least squares of median time on steps (simple-statistics), with r²; needs at least two distinct step counts. */
export function speedLineFit(steps: readonly number[], ms: readonly number[]): SpeedLineFit {
  if (!Array.isArray(steps) || !Array.isArray(ms) || steps.length !== ms.length) {
    throw new InvalidArgumentError(
      'steps/ms',
      `${(steps as unknown[])?.length}/${(ms as unknown[])?.length}`,
      'expected two arrays of equal length',
    );
  }
  steps.forEach((s, i) => requireFinite(`steps[${i}]`, s, 0));
  ms.forEach((m, i) => requireFinite(`ms[${i}]`, m, 0));
  if (new Set(steps).size < 2)
    throw new InvalidArgumentError('steps', steps, 'expected at least two distinct step counts');
  const points = steps.map((s, i) => [s, ms[i]]);
  const { m, b } = linearRegression(points);
  const flat = ms.every((v) => v === ms[0]);
  return { fixedMs: b, msPerStep: m, r2: flat ? 1 : rSquared(points, (x) => b + m * x) };
}
