import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { interp, linspace } from './betas.js';

/**
 * sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t) for every training timestep, the variance-exploding
 * noise level of a variance-preserving schedule (Karras et al. 2022, eq. 4 / Table 1), with each
 * operation rounded to float32 as diffusers computes it.
 */
export function vpSigmaTable(alphasCumprod: ArrayLike<number>): Float64Array {
  const f = Math.fround;
  const out = new Float64Array(alphasCumprod.length);
  for (let t = 0; t < out.length; t++) {
    const a = alphasCumprod[t];
    out[t] = f(Math.sqrt(f(f(1 - a) / a)));
  }
  return out;
}

/** sigma at (possibly fractional) timesteps, linearly interpolated in t over the table (numpy.interp, float64). */
export function interpolateSigmas(timesteps: readonly number[], sigmaTable: Float64Array): Float64Array {
  const xp = new Float64Array(sigmaTable.length).map((_, i) => i);
  return Float64Array.from(timesteps, (t) => interp(t, xp, sigmaTable));
}

/**
 * Throws InvalidArgumentError (fields `sigma_min`, `sigma_max`, the scheduler_config.json keys) unless
 * 0 <= sigma_min <= sigma_max < infinity: the Karras ramp runs from sigma_max down to sigma_min, and
 * swapped ends would make the sampler add noise instead of removing it.
 */
export function checkKarrasRange(sigmaMin: number, sigmaMax: number): void {
  requireFinite('sigma_min', sigmaMin, 0);
  requireFinite('sigma_max', sigmaMax, 0);
  if (sigmaMin > sigmaMax) {
    throw new InvalidArgumentError(
      'sigma_min',
      sigmaMin,
      `expected sigma_min <= sigma_max = ${sigmaMax} (the Karras ramp runs from sigma_max down to sigma_min)`,
    );
  }
}

/**
 * Karras et al. 2022, eq. 5: sigma_i = (sigmaMax^(1/rho) + i/(n-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho, rho = 7.
 * Returns n sigmas from sigmaMax down to sigmaMin (float64).
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): Float64Array {
  checkKarrasRange(sigmaMin, sigmaMax);
  requireInteger('n', n, 1);
  requireFinite('rho', rho, Number.MIN_VALUE);
  const ramp = linspace(0, 1, n);
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/**
 * The fractional timestep whose log-sigma matches `sigma`, interpolating linearly in log sigma between
 * the two neighbouring training timesteps (diffusers' `_sigma_to_t`; `logSigmas` increasing in t).
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // last index whose log-sigma is <= logSigma (0 if none), kept one below the end
  let low = 0;
  for (let j = 0; j < logSigmas.length; j++) if (logSigma - logSigmas[j] >= 0) low = j;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low];
  const hi = logSigmas[low + 1];
  const w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}
