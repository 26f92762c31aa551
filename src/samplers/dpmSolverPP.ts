import { InvalidArgumentError, requireFinite, requireInteger, requireOneOf } from '../core/errors.js';
import { karrasSigmas, vpSigmaTable } from '../schedules/sigmas.js';
import { checkTimestepsInRange, roundHalfEven } from '../schedules/timesteps.js';
import { configFlag, trainingScheduleFromConfig } from '../schedules/trainingSchedule.js';
import { linspace } from '../schedules/betas.js';
import {
  checkNumSteps,
  checkPredictionType,
  checkSpacing,
  checkStepArgs,
  checkStepIndex,
  checkTensor,
  resolveConfig,
  type PredictionType,
  type TimestepSpacing,
} from './common.js';
import {
  EMPTY_STATE,
  type SamplerState,
  type Scheduler,
  type SchedulerConfig,
  type StepOptions,
  type StepOutput,
} from './types.js';

/** diffusers' DPMSolverMultistepScheduler defaults (the keys this implementation reads). */
export const DPM_SOLVER_MULTISTEP_DEFAULTS = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null as number[] | null,
  solver_order: 2,
  prediction_type: 'epsilon',
  thresholding: false,
  algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint',
  lower_order_final: true,
  euler_at_final: false,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_lu_lambdas: false,
  use_flow_sigmas: false,
  final_sigmas_type: 'zero',
  lambda_min_clipped: -Infinity,
  variance_type: null as string | null,
  timestep_spacing: 'linspace',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
  use_dynamic_shifting: false,
});

export const DPM_SOLVER_TYPES = ['midpoint', 'heun'] as const;
export type DPMSolverType = (typeof DPM_SOLVER_TYPES)[number];
export const FINAL_SIGMAS_TYPES = ['zero', 'sigma_min'] as const;

/** Options diffusers offers that this implementation leaves out: each must stay false. */
const UNSUPPORTED_FLAGS = [
  'thresholding',
  'use_exponential_sigmas',
  'use_beta_sigmas',
  'use_lu_lambdas',
  'use_flow_sigmas',
  'use_dynamic_shifting',
] as const;

/**
 * DPM-Solver++ multistep (Lu et al. 2022, "DPM-Solver++", Alg. 2 for order 2), as diffusers'
 * DPMSolverMultistepScheduler with algorithm_type "dpmsolver++". Orders 1, 2 and 3; solver types
 * "midpoint" and "heun"; spacings linspace/leading/trailing; optional Karras sigmas.
 * The history (earlier x0 predictions and lower_order_nums) travels in `StepOutput.state`.
 */
export function createDPMSolverMultistepScheduler(config: SchedulerConfig = {}): Scheduler {
  return new DPMSolverMultistepScheduler(config);
}

class DPMSolverMultistepScheduler implements Scheduler {
  readonly className = 'DPMSolverMultistepScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  readonly initNoiseSigma = 1;
  numInferenceSteps = 0;
  timesteps: number[] = [];
  sigmas: Float64Array = new Float64Array(0);

  private readonly predictionType: PredictionType;
  private readonly spacing: TimestepSpacing;
  private readonly solverOrder: number;
  private readonly solverType: DPMSolverType;
  private readonly lowerOrderFinal: boolean;
  private readonly eulerAtFinal: boolean;
  private readonly finalSigmasType: 'zero' | 'sigma_min';
  private readonly useKarrasSigmas: boolean;
  private readonly stepsOffset: number;
  private readonly lambdaMinClipped: number;
  /** sigma_t = sqrt((1 - abar_t) / abar_t) over the training timesteps, rounded to float32 as diffusers holds them. */
  private readonly trainSigmas: Float64Array;

  constructor(userConfig: SchedulerConfig) {
    const cfg = resolveConfig(DPM_SOLVER_MULTISTEP_DEFAULTS, userConfig);
    if (cfg.algorithm_type !== 'dpmsolver++') {
      throw new InvalidArgumentError(
        'algorithm_type',
        cfg.algorithm_type,
        'only "dpmsolver++" is implemented (diffusers also has "dpmsolver", "sde-dpmsolver", "sde-dpmsolver++")',
      );
    }
    for (const flag of UNSUPPORTED_FLAGS) {
      if (cfg[flag] !== false && cfg[flag] !== undefined && cfg[flag] !== null) {
        throw new InvalidArgumentError(
          flag,
          cfg[flag],
          'expected false: this option of diffusers is not implemented here',
        );
      }
    }
    if (cfg.variance_type !== null && cfg.variance_type !== undefined) {
      throw new InvalidArgumentError(
        'variance_type',
        cfg.variance_type,
        'expected null: learned-variance model outputs are not supported',
      );
    }
    // diffusers maps the UniPC/DEIS solver types onto "midpoint" for this class.
    const solverType = ['logrho', 'bh1', 'bh2'].includes(cfg.solver_type as string) ? 'midpoint' : cfg.solver_type;
    this.solverType = requireOneOf('solver_type', solverType, DPM_SOLVER_TYPES);
    this.solverOrder = requireInteger('solver_order', cfg.solver_order, 1, 3);
    this.predictionType = checkPredictionType(cfg.prediction_type);
    this.spacing = checkSpacing(cfg.timestep_spacing);
    this.lowerOrderFinal = checkFlag('lower_order_final', cfg.lower_order_final);
    this.eulerAtFinal = checkFlag('euler_at_final', cfg.euler_at_final);
    this.useKarrasSigmas = checkFlag('use_karras_sigmas', cfg.use_karras_sigmas);
    this.finalSigmasType = requireOneOf('final_sigmas_type', cfg.final_sigmas_type, FINAL_SIGMAS_TYPES);
    this.stepsOffset = requireInteger('steps_offset', cfg.steps_offset, 0);
    this.lambdaMinClipped =
      cfg.lambda_min_clipped === null || cfg.lambda_min_clipped === -Infinity
        ? -Infinity
        : requireFinite('lambda_min_clipped', cfg.lambda_min_clipped);
    const schedule = trainingScheduleFromConfig(cfg);
    // With zero terminal SNR diffusers sets the last alphaBar to 2^-24 so that the first sigma stays finite.
    if (configFlag(cfg, 'rescale_betas_zero_snr')) schedule.alphasCumprod[schedule.alphasCumprod.length - 1] = 2 ** -24;
    this.alphasCumprod = schedule.alphasCumprod;
    this.numTrainTimesteps = schedule.numTrainTimesteps;
    this.trainSigmas = vpSigmaTable(this.alphasCumprod);
    this.config = Object.freeze({ ...cfg, solver_type: this.solverType });
  }

  /** Sampling grid: timesteps by `timestep_spacing` (Lin et al. 2023, Table 2) or Karras sigmas (Karras et al. 2022, eq. 5). */
  setTimesteps(numInferenceSteps: number): void {
    const n = checkNumSteps(numInferenceSteps, this.numTrainTimesteps);
    const N = this.numTrainTimesteps;
    let timesteps: number[];
    let sigmas: number[];
    if (this.useKarrasSigmas) {
      const sigmaMin = this.trainSigmas[0];
      const sigmaMax = this.trainSigmas[N - 1];
      sigmas = Array.from(karrasSigmas(sigmaMin, sigmaMax, n, 7));
      const logSigmas = this.trainSigmas.map((s) => Math.fround(Math.log(s)));
      const cosine = this.config.beta_schedule === 'squaredcos_cap_v2' && this.config.trained_betas == null;
      // diffusers rounds the interpolated timestep except for the cosine schedule, where int64 casting truncates.
      timesteps = sigmas.map((s) => {
        const t = sigmaToT(s, logSigmas);
        return cosine ? Math.trunc(t) : roundHalfEven(t);
      });
    } else {
      // Clip lambda(t) from below (needed by the cosine schedule): drop the timesteps whose lambda < lambda_min_clipped.
      let clippedIdx = 0;
      for (let t = 0; t < N; t++) {
        const a = this.alphasCumprod[t];
        if (Math.log(Math.sqrt(a)) - Math.log(Math.sqrt(1 - a)) < this.lambdaMinClipped) clippedIdx++;
      }
      const lastTimestep = N - clippedIdx;
      timesteps = spacedTimesteps(this.spacing, n, lastTimestep, N, this.stepsOffset);
      checkTimestepsInRange(timesteps, N, this.stepsOffset);
      for (let k = 1; k < timesteps.length; k++) {
        if (timesteps[k] >= timesteps[k - 1]) {
          // "leading" with step_ratio floor(last / (n + 1)) = 0: diffusers would divide by h = 0 and return NaN.
          throw new InvalidArgumentError(
            'numInferenceSteps',
            n,
            `timestep_spacing "${this.spacing}" repeats timestep ${timesteps[k]} at this many steps; use fewer steps or another spacing`,
          );
        }
      }
      sigmas = timesteps.map((t) => this.trainSigmas[t]);
    }
    const sigmaLast = this.finalSigmasType === 'zero' ? 0 : this.trainSigmas[0];
    this.sigmas = Float64Array.from([...sigmas, sigmaLast], (s) => Math.fround(s));
    this.timesteps = timesteps;
    this.numInferenceSteps = timesteps.length;
  }

  /** DPM-Solver++ needs no input scaling: the model sees the sample as is. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options: StepOptions = {}): StepOutput {
    const i = checkStepArgs(modelOutput, stepIndex, sample, this.numInferenceSteps);
    const state = options.state ?? EMPTY_STATE;
    const history = state.modelOutputs;
    const lowerOrderNums = requireInteger(
      'state.lowerOrderNums',
      state.lowerOrderNums,
      0,
      Math.min(i, this.solverOrder),
    );
    const n = this.timesteps.length;

    const x0 = this.convertModelOutput(modelOutput, sample, i);

    // Lower the order on the last steps of short schedules (numerical stability, as in diffusers).
    const lowerOrderFinal =
      i === n - 1 && (this.eulerAtFinal || (this.lowerOrderFinal && n < 15) || this.finalSigmasType === 'zero');
    const lowerOrderSecond = i === n - 2 && this.lowerOrderFinal && n < 15;

    let order: number;
    if (this.solverOrder === 1 || lowerOrderNums < 1 || lowerOrderFinal) order = 1;
    else if (this.solverOrder === 2 || lowerOrderNums < 2 || lowerOrderSecond) order = 2;
    else order = 3;
    if (history.length < order - 1) {
      throw new InvalidArgumentError(
        'state.modelOutputs.length',
        history.length,
        `expected >= ${order - 1}: pass the previous step's state back in`,
      );
    }
    const m1 = order >= 2 ? history[history.length - 1] : undefined;
    const m2 = order >= 3 ? history[history.length - 2] : undefined;
    if (m1) checkTensor('state.modelOutputs', m1, sample.length);
    if (m2) checkTensor('state.modelOutputs', m2, sample.length);

    let prevSample: Float32Array;
    if (order === 1) prevSample = this.firstOrderUpdate(x0, sample, i);
    else if (order === 2) prevSample = this.secondOrderUpdate(x0, m1!, sample, i);
    else prevSample = this.thirdOrderUpdate(x0, m1!, m2!, sample, i);

    const keep = this.solverOrder - 1;
    const modelOutputs = keep === 0 ? [] : [...history, x0].slice(-keep);
    const nextState: SamplerState = Object.freeze({
      modelOutputs: Object.freeze(modelOutputs),
      lowerOrderNums: Math.min(lowerOrderNums + 1, this.solverOrder),
    });
    return { prevSample, denoised: x0, state: nextState };
  }

  /** x0 prediction x_theta(x_t, t) from the model output (Lu et al. 2022, DPM-Solver++: the solver integrates the data-prediction model). */
  private convertModelOutput(modelOutput: Float32Array, sample: Float32Array, i: number): Float32Array {
    if (this.predictionType === 'sample') return Float32Array.from(modelOutput);
    const { alpha, sigma } = alphaSigma(this.sigmas[i]);
    const out = new Float32Array(sample.length);
    if (this.predictionType === 'epsilon') {
      for (let k = 0; k < out.length; k++) out[k] = (sample[k] - sigma * modelOutput[k]) / alpha;
    } else {
      for (let k = 0; k < out.length; k++) out[k] = alpha * sample[k] - sigma * modelOutput[k];
    }
    return out;
  }

  /** First-order DPM-Solver++ (= DDIM): x_t = (sigma_t/sigma_s) x_s - alpha_t (e^{-h} - 1) x_theta  (Lu et al. 2022, DPM-Solver++ Alg. 2, its first step; equivalent to DDIM). */
  private firstOrderUpdate(x0: Float32Array, sample: Float32Array, i: number): Float32Array {
    const t = alphaSigma(this.sigmas[i + 1]);
    const s0 = alphaSigma(this.sigmas[i]);
    const h = t.lambda - s0.lambda;
    const ratio = t.sigma / s0.sigma;
    const cD0 = -t.alpha * (Math.exp(-h) - 1);
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) out[k] = ratio * sample[k] + cD0 * x0[k];
    return out;
  }

  /**
   * Second-order multistep DPM-Solver++(2M) (Lu et al. 2022, DPM-Solver++ Alg. 2): D0 = m0, D1 = (m0 - m1) / r0,
   * x_t = (sigma_t/sigma_s0) x - alpha_t (e^{-h} - 1) (D0 + D1 / 2) ("midpoint"), or
   * x_t = (sigma_t/sigma_s0) x - alpha_t (e^{-h} - 1) D0 + alpha_t ((e^{-h} - 1)/h + 1) D1 ("heun").
   */
  private secondOrderUpdate(m0: Float32Array, m1: Float32Array, sample: Float32Array, i: number): Float32Array {
    const t = alphaSigma(this.sigmas[i + 1]);
    const s0 = alphaSigma(this.sigmas[i]);
    const s1 = alphaSigma(this.sigmas[i - 1]);
    const h = t.lambda - s0.lambda;
    const h0 = s0.lambda - s1.lambda;
    const r0 = h0 / h;
    const ratio = t.sigma / s0.sigma;
    const phi1 = Math.exp(-h) - 1;
    const cD0 = -t.alpha * phi1;
    const cD1 = this.solverType === 'midpoint' ? -0.5 * t.alpha * phi1 : t.alpha * (phi1 / h + 1);
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const D1 = (m0[k] - m1[k]) / r0;
      out[k] = ratio * sample[k] + cD0 * m0[k] + cD1 * D1;
    }
    return out;
  }

  /** Third-order multistep DPM-Solver++(3M) (Lu et al. 2022, DPM-Solver++ multistep family, Alg. 2 extended with D2 from three x0 predictions, as in diffusers). */
  private thirdOrderUpdate(
    m0: Float32Array,
    m1: Float32Array,
    m2: Float32Array,
    sample: Float32Array,
    i: number,
  ): Float32Array {
    const t = alphaSigma(this.sigmas[i + 1]);
    const s0 = alphaSigma(this.sigmas[i]);
    const s1 = alphaSigma(this.sigmas[i - 1]);
    const s2 = alphaSigma(this.sigmas[i - 2]);
    const h = t.lambda - s0.lambda;
    const r0 = (s0.lambda - s1.lambda) / h;
    const r1 = (s1.lambda - s2.lambda) / h;
    const ratio = t.sigma / s0.sigma;
    const phi1 = Math.exp(-h) - 1;
    const cD0 = -t.alpha * phi1;
    const cD1 = t.alpha * (phi1 / h + 1);
    const cD2 = -t.alpha * ((phi1 + h) / (h * h) - 0.5);
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const D1_0 = (m0[k] - m1[k]) / r0;
      const D1_1 = (m1[k] - m2[k]) / r1;
      const D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1);
      const D2 = (D1_0 - D1_1) / (r0 + r1);
      out[k] = ratio * sample[k] + cD0 * m0[k] + cD1 * D1 + cD2 * D2;
    }
    return out;
  }
}

/** VP coefficients for the VE noise level sigma: alpha_t = 1/sqrt(sigma^2 + 1), sigma_t = sigma alpha_t, lambda_t = log(alpha_t / sigma_t). */
function alphaSigma(sigmaVE: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigmaVE * sigmaVE + 1);
  const sigma = sigmaVE * alpha;
  return { alpha, sigma, lambda: Math.log(alpha) - Math.log(sigma) };
}

/**
 * Integer timesteps for a spacing rule (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps
 * are Flawed", Table 2), as DPMSolverMultistepScheduler computes them; numpy's round-half-to-even included.
 */
function spacedTimesteps(
  spacing: TimestepSpacing,
  n: number,
  lastTimestep: number,
  N: number,
  stepsOffset: number,
): number[] {
  if (spacing === 'linspace') {
    const grid = linspace(0, lastTimestep - 1, n + 1);
    const out: number[] = [];
    for (let k = n; k >= 1; k--) out.push(roundHalfEven(grid[k]));
    return out;
  }
  if (spacing === 'leading') {
    const stepRatio = Math.floor(lastTimestep / (n + 1));
    const out: number[] = [];
    for (let k = n; k >= 1; k--) out.push(k * stepRatio + stepsOffset);
    return out;
  }
  // trailing: numpy.arange(last, 0, -N/n): length ceil(last / ratio), values last + k * delta. For some n
  // (61, 103, 121, ... with N = 1000) that length rule gives diffusers one extra, invalid timestep -1 (and
  // n + 1 steps); here the grid stops after n entries, the same n values.
  const stepRatio = N / n;
  const delta = lastTimestep - stepRatio - lastTimestep;
  const length = Math.min(n, Math.ceil((0 - lastTimestep) / -stepRatio));
  const out: number[] = [];
  for (let k = 0; k < length; k++) out.push(roundHalfEven(lastTimestep + k * delta) - 1);
  return out;
}

/**
 * Fractional training timestep of a sigma: linear interpolation in log sigma between neighbouring training sigmas.
 * numpy (1.x) evaluates diffusers' expression in float32 (the table's dtype) up to the weight w; the rounding is
 * reproduced because these timesteps are rounded to integers afterwards and a half can tip either way.
 */
function sigmaToT(sigma: number, logSigmas: Float64Array): number {
  const f = Math.fround;
  const logSigma = f(Math.log(Math.max(sigma, 1e-10)));
  let count = 0;
  while (count < logSigmas.length && logSigmas[count] <= logSigma) count++;
  const lowIdx = Math.min(Math.max(count - 1, 0), logSigmas.length - 2);
  const highIdx = lowIdx + 1;
  const low = logSigmas[lowIdx];
  const high = logSigmas[highIdx];
  const w = Math.min(1, Math.max(0, f(f(low - logSigma) / f(low - high))));
  return f(1 - w) * lowIdx + w * highIdx;
}

function checkFlag(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(field, value, 'expected true or false');
  return value;
}
