import { InvalidArgumentError, requireInteger, requireOneOf } from '../core/errors.js';

export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

export interface BetaConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: string;
  trainedBetas?: readonly number[] | null;
}

/** numpy.linspace(start, end, n): evenly spaced, endpoints included (float64). */
export function linspace(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = end;
  return out;
}

/**
 * The betas of a diffusers noise schedule (DDPM, Ho et al. 2020; "scaled_linear" is Stable
 * Diffusion's; "squaredcos_cap_v2" is the cosine schedule of Nichol & Dhariwal 2021, eq. 17, capped at 0.999).
 */
export function betasFor(cfg: BetaConfig): Float64Array {
  const n = requireInteger('num_train_timesteps', cfg.numTrainTimesteps, 1, 100000);
  if (cfg.trainedBetas != null) {
    if (!Array.isArray(cfg.trainedBetas) || cfg.trainedBetas.length !== n) {
      throw new InvalidArgumentError('trained_betas', cfg.trainedBetas, `expected an array of ${n} numbers in (0, 1)`);
    }
    const out = Float64Array.from(cfg.trainedBetas);
    out.forEach((b, i) => requireBeta(`trained_betas[${i}]`, b));
    return out;
  }
  const schedule = requireOneOf('beta_schedule', cfg.betaSchedule, BETA_SCHEDULES);
  if (schedule === 'squaredcos_cap_v2') return cosineBetas(n, 0.999);
  const betaStart = requireBeta('beta_start', cfg.betaStart);
  const betaEnd = requireBeta('beta_end', cfg.betaEnd);
  if (betaStart > betaEnd) {
    throw new InvalidArgumentError(
      'beta_start',
      betaStart,
      `expected beta_start <= beta_end = ${betaEnd} (scheduler_config.json: the noise grows over training)`,
    );
  }
  if (schedule === 'linear') return roundToFloat32(linspace(betaStart, betaEnd, n));
  const roots = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), n);
  return roundToFloat32(roots.map((r) => Math.fround(r) * Math.fround(r)));
}

/**
 * A beta of a variance-preserving schedule: a finite number strictly inside (0, 1). beta = 1 makes
 * alpha = 0, so alphaBar and every later alphaBar are 0 and sigma = sqrt((1 - alphaBar) / alphaBar)
 * is infinite; beta = 0 adds no noise at that step. `field` is the scheduler_config.json key.
 */
export function requireBeta(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new InvalidArgumentError(
      field,
      value,
      'expected a number strictly between 0 and 1 (scheduler_config.json key; beta = 1 would make alphaBar 0 and sigma infinite)',
    );
  }
  return value;
}

/** Cosine schedule: beta_i = min(1 - abar((i+1)/N) / abar(i/N), maxBeta), abar(t) = cos(((t + 0.008) / 1.008) * pi / 2)^2. */
export function cosineBetas(n: number, maxBeta: number): Float64Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), maxBeta);
  return roundToFloat32(out);
}

/**
 * alphas_cumprod[t] = prod_{s <= t} (1 - beta_s)  (Ho et al. 2020, alpha-bar).
 * As diffusers (torch float32): each alpha is rounded to float32, the running product is kept in
 * float64 (torch's CPU cumprod accumulates in double) and each output is rounded to float32.
 */
export function alphasCumprodFrom(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= Math.fround(1 - betas[i]);
    out[i] = Math.fround(acc);
  }
  return out;
}

/**
 * Rescales betas so the last timestep has zero SNR (Lin et al. 2024, "Common Diffusion Noise Schedules
 * and Sample Steps are Flawed", Algorithm 1): shift and scale sqrt(alphaBar) so it ends at 0 and keeps
 * its first value, then undo the cumulative product. Float32 steps as in diffusers.
 */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const f = Math.fround;
  const alphaBarSqrt = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    acc *= f(1 - betas[i]);
    alphaBarSqrt[i] = f(Math.sqrt(f(acc)));
  }
  const sqrt0 = alphaBarSqrt[0];
  const sqrtT = alphaBarSqrt[n - 1];
  const scale = f(sqrt0 / f(sqrt0 - sqrtT));
  const alphaBar = alphaBarSqrt.map((v) => {
    const shifted = f(f(v - sqrtT) * scale);
    return f(shifted * shifted);
  });
  const out = new Float64Array(n);
  out[0] = f(1 - alphaBar[0]);
  for (let i = 1; i < n; i++) out[i] = f(1 - f(alphaBar[i] / alphaBar[i - 1]));
  return out;
}

/** sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t): the noise level of the variance-exploding view (Karras et al. 2022). */
export function sigmasFromAlphasCumprod(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
}

/** numpy.interp: piecewise-linear interpolation of (xp, fp) at x; xp increasing; clamps outside. */
export function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  const n = xp.length;
  if (x <= xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  const t = (x - xp[lo]) / (xp[hi] - xp[lo]);
  return fp[lo] + t * (fp[hi] - fp[lo]);
}

function roundToFloat32(a: Float64Array): Float64Array {
  // diffusers holds betas in float32 (torch.float32): round once so products start from the same values.
  return a.map((v) => Math.fround(v));
}
