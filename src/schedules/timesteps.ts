import { InvalidArgumentError, requireInteger, requireOneOf } from '../core/errors.js';
import { linspace } from './betas.js';

/** The three ways diffusers spreads inference timesteps over the training range (Lin et al. 2024, Table 2). */
export const SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type Spacing = (typeof SPACINGS)[number];

/** numpy's round(): to the nearest integer, halves to the even neighbour (banker's rounding). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The timesteps diffusers' DDPM/DDIM/Euler schedulers pick for `numInferenceSteps` steps, highest first.
 *
 * - leading:  t_i = i * floor(N / n) + steps_offset, reversed (Stable Diffusion v1's choice);
 * - trailing: t_i = round(N - i * N / n) - 1 (numpy.arange fill rule, numpy rounding);
 * - linspace: numpy.linspace(0, N - 1, n), reversed; `integer` rounds it as DDPM/DDIM do (halves to
 *   even), otherwise it is kept fractional in float32 as Euler does.
 *
 * Known divergence: for some n (61, 103, 121, ... with N = 1000) numpy.arange's length rule gives
 * diffusers' trailing spacing an extra, invalid last timestep -1; here the grid always has n entries
 * (the same first n values).
 */
export function spacedTimesteps(
  spacing: string,
  numTrainTimesteps: number,
  numInferenceSteps: number,
  options: { stepsOffset?: number; integer: boolean },
): number[] {
  const kind = requireOneOf('timestep_spacing', spacing, SPACINGS);
  const N = requireInteger('num_train_timesteps', numTrainTimesteps, 1);
  const n = numInferenceSteps;
  const stepsOffset = options.stepsOffset ?? 0;
  const out: number[] = new Array(n);
  if (kind === 'linspace') {
    const grid = linspace(0, N - 1, n);
    for (let i = 0; i < n; i++) {
      const v = grid[n - 1 - i];
      out[i] = options.integer ? roundHalfEven(v) : Math.fround(v);
    }
  } else if (kind === 'leading') {
    const stepRatio = Math.floor(N / n);
    for (let i = 0; i < n; i++) out[i] = (n - 1 - i) * stepRatio + stepsOffset;
  } else {
    // numpy.arange(N, 0, -N/n): element i is start + i * delta with delta = (start + step) - start.
    const step = -N / n;
    const delta = N + step - N;
    for (let i = 0; i < n; i++) out[i] = roundHalfEven(N + i * delta) - 1;
  }
  return out;
}

/** Throws unless every timestep indexes the training schedule (a large steps_offset can push "leading" past it). */
export function checkTimestepsInRange(
  timesteps: readonly number[],
  numTrainTimesteps: number,
  stepsOffset: number,
): void {
  const top = timesteps[0];
  if (top > numTrainTimesteps - 1) {
    throw new InvalidArgumentError(
      'steps_offset',
      stepsOffset,
      `the first timestep ${top} would exceed num_train_timesteps - 1 = ${numTrainTimesteps - 1}; use fewer steps or a smaller offset`,
    );
  }
}
