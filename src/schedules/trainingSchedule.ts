import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { alphasCumprodFrom, betasFor, rescaleZeroTerminalSnr } from './betas.js';

/** The training noise schedule a diffusers scheduler config describes. */
export interface TrainingSchedule {
  numTrainTimesteps: number;
  betas: Float64Array;
  /** alphaBar_t, float32 values as diffusers holds them. */
  alphasCumprod: Float64Array;
}

/**
 * Reads num_train_timesteps, beta_start, beta_end, beta_schedule, trained_betas and
 * rescale_betas_zero_snr (snake_case, as in scheduler_config.json) into betas and alphas_cumprod.
 */
export function trainingScheduleFromConfig(cfg: Readonly<Record<string, unknown>>): TrainingSchedule {
  const numTrainTimesteps = requireInteger('num_train_timesteps', cfg.num_train_timesteps, 1, 100000);
  let betas = betasFor({
    numTrainTimesteps,
    betaStart: cfg.beta_start as number,
    betaEnd: cfg.beta_end as number,
    betaSchedule: cfg.beta_schedule as string,
    trainedBetas: (cfg.trained_betas as number[] | null | undefined) ?? null,
  });
  if (configFlag(cfg, 'rescale_betas_zero_snr')) betas = rescaleZeroTerminalSnr(betas);
  return { numTrainTimesteps, betas, alphasCumprod: alphasCumprodFrom(betas) };
}

/** A boolean config key; absent or null reads as false, anything but a boolean throws. */
export function configFlag(cfg: Readonly<Record<string, unknown>>, key: string): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(key, v, 'expected true or false');
  return v;
}
