import type { NoiseSource } from '../core/rng.js';

/**
 * A parsed diffusers `scheduler_config.json`: snake_case keys, `_class_name` picks the sampler.
 * Keys the sampler does not know are ignored, as diffusers ignores them.
 */
export interface SchedulerConfig {
  _class_name?: string;
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: string;
  trained_betas?: number[] | null;
  prediction_type?: string;
  timestep_spacing?: string;
  steps_offset?: number;
  [key: string]: unknown;
}

/** What one sampler step returns. */
export interface StepOutput {
  /** x_{t-1}: the sample to feed to the next step (the final image latents after the last step). */
  prevSample: Float32Array;
  /** The model's estimate of the clean sample x_0 at this step (LCM: after the boundary condition). */
  denoised: Float32Array;
  /** History to pass to the next step (multistep solvers keep earlier model outputs here). */
  state: SamplerState;
}

/**
 * History carried between steps. Opaque to callers: pass the previous step's `state` back in.
 * Single-step samplers return it unchanged.
 */
export interface SamplerState {
  readonly modelOutputs: readonly Float32Array[];
  readonly lowerOrderNums: number;
}

export const EMPTY_STATE: SamplerState = Object.freeze({
  modelOutputs: Object.freeze([]) as readonly Float32Array[],
  lowerOrderNums: 0,
});

export interface StepOptions {
  /** History from the previous step's output (multistep solvers); omit on the first step. */
  state?: SamplerState;
  /** Noise for stochastic samplers (DDPM, DDIM with eta > 0, Euler ancestral, LCM, CM). */
  noise?: NoiseSource;
}

/**
 * A configured scheduler. `setTimesteps` fixes the sampling grid; everything else is a pure function
 * of its arguments: there is no hidden step counter, the caller passes `stepIndex`.
 */
export interface Scheduler {
  /** diffusers class this scheduler reproduces, e.g. "DDIMScheduler". */
  readonly className: string;
  /** The resolved config: the caller's keys plus diffusers' defaults for this class. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  /** alphas_cumprod over the training timesteps (length num_train_timesteps). */
  readonly alphasCumprod: Float64Array;
  /** Number of steps set by `setTimesteps` (0 before). */
  readonly numInferenceSteps: number;
  /** Timesteps in sampling order (the value given to the model at each step). */
  readonly timesteps: number[];
  /** Noise levels per step for sigma-based samplers (length steps + 1, ends with the final sigma); empty otherwise. */
  readonly sigmas: Float64Array;
  /** Standard deviation of the initial noise: latents = initNoiseSigma * N(0, I). */
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  /** Input scaling some samplers need before the model call (Euler: x / sqrt(sigma^2 + 1)). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options?: StepOptions): StepOutput;
}
