/**
 * The course's speed colour code (notebooks 01, 03 and 05): a time is fast, medium or slow relative
 * to a reference time, shown as the caption colour of an image grid (GRID_SPEED_COLORS).
 */
import { InvalidArgumentError, requireFinite } from '../core/errors.js';
import { GRID_SPEED_COLORS } from '../image/grid.js';

/** The course's speed classes (caption colours of GRID_SPEED_COLORS). */
export type StepSpeedClass = keyof typeof GRID_SPEED_COLORS;

/** Limits of the speed colour code as fractions of a reference time (fast below `fast`, medium below `medium`, else slow). */
export interface StepSpeedThresholds {
  fast: number;
  medium: number;
}

/** Notebook 03's thresholds, relative to the 50-step time: fast under 25% of it, medium under 60%, slow above (as notebook 01). */
export const STEP_SPEED_THRESHOLDS: Readonly<StepSpeedThresholds> = Object.freeze({ fast: 0.25, medium: 0.6 });

function checkThresholds(t: StepSpeedThresholds): StepSpeedThresholds {
  if (t === null || typeof t !== 'object')
    throw new InvalidArgumentError('thresholds', t, 'expected {fast, medium} fractions of the reference time');
  const fast = requireFinite('thresholds.fast', t.fast, Number.MIN_VALUE);
  const medium = requireFinite('thresholds.medium', t.medium, Number.MIN_VALUE);
  if (medium < fast)
    throw new InvalidArgumentError('thresholds.medium', medium, `expected >= thresholds.fast (${fast})`);
  return { fast, medium };
}

/** The speed class of a time `ms` relative to `referenceMs`: 'fast' if ms < fast * ref, 'medium' if ms < medium * ref, else 'slow'. */
export function stepSpeedClass(
  ms: number,
  referenceMs: number,
  thresholds: StepSpeedThresholds = STEP_SPEED_THRESHOLDS,
): StepSpeedClass {
  requireFinite('ms', ms, 0);
  requireFinite('referenceMs', referenceMs, Number.MIN_VALUE);
  const { fast, medium } = checkThresholds(thresholds);
  return ms < fast * referenceMs ? 'fast' : ms < medium * referenceMs ? 'medium' : 'slow';
}

/** The caption colour (GRID_SPEED_COLORS) of stepSpeedClass(ms, referenceMs, thresholds). */
export function stepSpeedColor(
  ms: number,
  referenceMs: number,
  thresholds: StepSpeedThresholds = STEP_SPEED_THRESHOLDS,
): string {
  return GRID_SPEED_COLORS[stepSpeedClass(ms, referenceMs, thresholds)];
}
