import type { SchedulerConfig } from '../samplers/types.js';

/**
 * Keys of a variance-preserving scheduler config that describe the model rather than the sampler: the
 * training noise schedule, what the network predicts, and the timestep grid. A substitute sampler keeps them.
 */
const MODEL_KEYS = [
  'num_train_timesteps',
  'beta_start',
  'beta_end',
  'beta_schedule',
  'trained_betas',
  'prediction_type',
  'timestep_spacing',
  'steps_offset',
  'set_alpha_to_one',
  'rescale_betas_zero_snr',
];

/** A scheduler config the pipeline can run, and a line saying what was substituted (undefined when nothing was). */
export interface SchedulerChoice {
  config: SchedulerConfig;
  note: string | undefined;
}

/**
 * Stable Diffusion 1.x and 2.x exports ship `PNDMScheduler` (Liu et al. 2022, PLMS with skip_prk_steps), which
 * this library does not implement. Rather than refusing to load them, the pipeline samples with DDIM (Song et
 * al. 2021, eta 0) on the same training schedule, prediction type and timestep grid ("leading" + steps_offset,
 * the grid PNDM uses), without clipping (PNDM never clips). Any other config is returned unchanged; an
 * unknown class then fails with createScheduler's typed error.
 */
export function runnableSchedulerConfig(config: SchedulerConfig): SchedulerChoice {
  if (config?._class_name !== 'PNDMScheduler') return { config, note: undefined };
  const kept: SchedulerConfig = { _class_name: 'DDIMScheduler', clip_sample: false, eta: 0 };
  for (const key of MODEL_KEYS) if (config[key] !== undefined) kept[key] = config[key];
  // PNDMScheduler's defaults where the file is silent (diffusers): leading spacing, offset 0, alpha_0 not forced to 1.
  kept.timestep_spacing ??= 'leading';
  kept.set_alpha_to_one ??= false;
  return {
    config: kept,
    note: 'scheduler: the model ships PNDMScheduler, which fewstep does not implement; sampling with DDIMScheduler (eta 0) on the same training schedule and timestep grid (choose another with the scheduler option)',
  };
}
