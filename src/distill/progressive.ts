/**
 * Progressive distillation (Salimans & Ho 2022, Algorithm 2) as a SIMULATION on the toy mixture:
 * the teacher is DDIM with the exact denoiser; each student is a per-step RBF ridge regression
 * (`fitRbfRegression`) that learns to do in one DDIM step what its teacher does in two.
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { runSampler, type ModelFn } from '../samplers/loop.js';
import { createScheduler } from '../samplers/registry.js';
import type { Scheduler, SchedulerConfig } from '../samplers/types.js';
import { createToyModel } from '../toy/modelAdapter.js';
import type { GaussianMixture } from '../toy/mixture.js';
import { fitRbfRegression, type RbfRegression } from './rbfRegression.js';

/**
 * The simulation's sampler: deterministic DDIM (eta = 0) with "trailing" timesteps on Stable
 * Diffusion's scaled-linear betas, but over 1024 training timesteps, so that every power-of-two
 * step count up to 1024 divides it: diffusers' DDIM steps back by floor(T / n), and only then do two
 * steps of the 2n-step grid land exactly on one step of the n-step grid. Models predict x0
 * ("sample"), as Salimans & Ho's students do (epsilon is ill-conditioned near t = T); no clipping.
 */
export const PD_TOY_SCHEDULER: Readonly<SchedulerConfig> = Object.freeze({
  _class_name: 'DDIMScheduler',
  num_train_timesteps: 1024,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  timestep_spacing: 'trailing',
  prediction_type: 'sample',
  clip_sample: false,
  set_alpha_to_one: true,
});

/** One stage of progressive distillation: a student with half its teacher's steps. */
export interface HalvingStage {
  /** 1-based stage number. */
  stage: number;
  teacherSteps: number;
  studentSteps: number;
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/**
 * The stages that halve `teacherSteps` down to `finalSteps` (both powers of two):
 * 64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1 is six stages (Salimans & Ho 2022, sec. 4).
 */
export function halvingSchedule(teacherSteps: number, finalSteps = 1): HalvingStage[] {
  if (!isPowerOfTwo(teacherSteps) || teacherSteps < 2 || teacherSteps > 1024) {
    throw new InvalidArgumentError('teacherSteps', teacherSteps, 'expected a power of two in [2, 1024]');
  }
  if (!isPowerOfTwo(finalSteps) || finalSteps >= teacherSteps) {
    throw new InvalidArgumentError(
      'finalSteps',
      finalSteps,
      `expected a power of two below teacherSteps = ${teacherSteps}`,
    );
  }
  const stages: HalvingStage[] = [];
  for (let n = teacherSteps; n > finalSteps; n /= 2)
    stages.push({ stage: stages.length + 1, teacherSteps: n, studentSteps: n / 2 });
  return stages;
}

/**
 * The student's x-target of Salimans & Ho (2022, Algorithm 2): the x0-prediction that makes ONE
 * DDIM step from z_t to t'' land exactly where TWO teacher DDIM steps (t -> t' -> t'') landed,
 *   x~ = (z_t'' - (sigma_t'' / sigma_t) z_t) / (alpha_t'' - (sigma_t'' / sigma_t) alpha_t),
 * with alpha = sqrt(abar), sigma = sqrt(1 - abar) of the variance-preserving process.
 * At t'' = 0 (alpha 1, sigma 0) the target is z_t'' itself.
 */
export function progressiveDistillationTarget(
  zT: ArrayLike<number>,
  zTpp: ArrayLike<number>,
  alphaT: number,
  sigmaT: number,
  alphaTpp: number,
  sigmaTpp: number,
): Float32Array {
  requireFinite('alphaT', alphaT, 0, 1);
  requireFinite('sigmaT', sigmaT, Number.MIN_VALUE, 1);
  requireFinite('alphaTpp', alphaTpp, 0, 1);
  requireFinite('sigmaTpp', sigmaTpp, 0, 1);
  if (zT === null || typeof zT !== 'object' || typeof zT.length !== 'number' || zT.length === 0) {
    throw new InvalidArgumentError('zT', zT, 'expected a non-empty array of numbers');
  }
  if (zTpp === null || typeof zTpp !== 'object' || zTpp.length !== zT.length) {
    throw new InvalidArgumentError('zTpp.length', zTpp?.length, `expected ${zT.length} (the length of zT)`);
  }
  const ratio = sigmaTpp / sigmaT;
  const denominator = alphaTpp - ratio * alphaT;
  if (!(denominator > 0)) {
    throw new InvalidArgumentError(
      'alphaTpp',
      alphaTpp,
      `expected t'' to be less noisy than t (alpha_t''/sigma_t'' > alpha_t/sigma_t); alpha_t'' - (sigma_t''/sigma_t) alpha_t = ${denominator}`,
    );
  }
  const out = new Float32Array(zT.length);
  for (let i = 0; i < out.length; i++) out[i] = (zTpp[i] - ratio * zT[i]) / denominator;
  return out;
}

/** Options of `simulateProgressiveDistillation`. */
export interface ProgressiveDistillationOptions {
  /** Steps of the original teacher (DDIM with the exact denoiser); a power of two (default 64). */
  teacherSteps?: number;
  /** Steps of the last student; a power of two (default 1). */
  finalSteps?: number;
  /** Training points per student step, drawn fresh from the data and the forward process (default 1000). */
  trainPoints?: number;
  /** RBF centres per axis of each student's regression (default 8). */
  grid?: number;
  /** Ridge penalty of each student's regression (default 1e-4). */
  ridge?: number;
  /** Seed of the training data (default 0): the same seed gives the same students, bit for bit. */
  seed?: number;
  /** The sampler (default PD_TOY_SCHEDULER): a DDIMScheduler config with prediction_type "sample". */
  scheduler?: SchedulerConfig;
}

/** A distilled student: sample it with DDIM (`config`) at exactly `studentSteps` steps. */
export interface DistilledStudent extends HalvingStage {
  /** The student as a sampler model (x0-prediction); it refuses other step counts. */
  model: ModelFn;
  /** Root-mean-square fit residual of each step's regression on its training data. */
  fitRmse: number[];
  /** Wall-clock time of the stage's training, ms. */
  trainMs: number;
}

/** What `simulateProgressiveDistillation` returns. */
export interface ProgressiveDistillationResult {
  /** The sampler config every model here runs with. */
  config: SchedulerConfig;
  /** The original teacher: the exact mixture denoiser, run at `teacherSteps`. */
  teacher: ModelFn;
  teacherSteps: number;
  /** One student per halving stage, in order (steps teacherSteps/2 ... finalSteps). */
  students: DistilledStudent[];
}

/**
 * Runs progressive distillation on the toy mixture, a SIMULATION of Salimans & Ho (2022,
 * Algorithm 2) with a cheap student: for each stage and each student step i (timestep t), it draws
 * x ~ data, eps ~ N(0, I), z_t = alpha_t x + sigma_t eps, runs the teacher's two DDIM steps
 * t -> t' -> t'' (its steps 2i and 2i+1), forms the target x~ (`progressiveDistillationTarget`) and
 * fits the student's step-i regression z_t -> x~ (`fitRbfRegression`). The student then teaches the
 * next stage. The first teacher is the exact denoiser (`createToyModel`, posterior mean), so the
 * only errors are the students' fits. Deterministic by `seed`.
 */
export function simulateProgressiveDistillation(
  mixture: GaussianMixture,
  options: ProgressiveDistillationOptions = {},
): ProgressiveDistillationResult {
  const teacherSteps = options.teacherSteps ?? 64;
  const stages = halvingSchedule(teacherSteps, options.finalSteps ?? 1);
  const trainPoints = requireInteger('trainPoints', options.trainPoints ?? 1000, 16, 1_000_000);
  const seed = requireInteger('seed', options.seed ?? 0, 0);
  const config: SchedulerConfig = { ...(options.scheduler ?? PD_TOY_SCHEDULER) };
  if (config._class_name !== 'DDIMScheduler')
    throw new InvalidArgumentError(
      'scheduler._class_name',
      config._class_name,
      'expected "DDIMScheduler" (progressive distillation halves DDIM steps)',
    );
  if (config.prediction_type !== 'sample')
    throw new InvalidArgumentError(
      'scheduler.prediction_type',
      config.prediction_type,
      'expected "sample" (students predict x0)',
    );
  if (config.eta !== undefined && config.eta !== 0)
    throw new InvalidArgumentError('scheduler.eta', config.eta, 'expected 0 (deterministic DDIM)');
  const probe = createScheduler(config);
  if (probe.numTrainTimesteps % teacherSteps !== 0) {
    throw new InvalidArgumentError(
      'scheduler.num_train_timesteps',
      probe.numTrainTimesteps,
      `expected a multiple of teacherSteps = ${teacherSteps}, so that two DDIM steps of the teacher make one of the student`,
    );
  }
  const fitOptions = { grid: options.grid ?? 8, ridge: options.ridge ?? 1e-4 };
  const d = mixture.dim;
  const rng = new Rng(seed);
  const teacher = createToyModel(probe, mixture, { target: 'posterior-mean' });

  const students: DistilledStudent[] = [];
  let current: ModelFn = teacher;
  for (const stage of stages) {
    const t0 = Date.now();
    const stageRng = rng.fork();
    const teacherSched = createScheduler(config);
    teacherSched.setTimesteps(stage.teacherSteps);
    const studentSched = createScheduler(config);
    studentSched.setTimesteps(stage.studentSteps);
    const regressions: RbfRegression[] = [];
    for (let i = 0; i < stage.studentSteps; i++) {
      const t = studentSched.timesteps[i];
      const { alpha: alphaT, sigma: sigmaT } = vpScales(studentSched, t);
      const { alpha: alphaTpp, sigma: sigmaTpp } = vpScales(
        studentSched,
        t - studentSched.numTrainTimesteps / stage.studentSteps,
      );
      const x0 = mixture.sample(trainPoints, stageRng);
      const eps = stageRng.normal(trainPoints * d);
      const zT = new Float32Array(trainPoints * d);
      for (let k = 0; k < zT.length; k++) zT[k] = alphaT * x0[k] + sigmaT * eps[k];
      const zTp = teacherStep(teacherSched, current, zT, 2 * i);
      const zTpp = teacherStep(teacherSched, current, zTp, 2 * i + 1);
      const target = progressiveDistillationTarget(zT, zTpp, alphaT, sigmaT, alphaTpp, sigmaTpp);
      regressions.push(fitRbfRegression(zT, target, d, d, fitOptions));
    }
    const model = studentModel(regressions, studentSched.timesteps.slice());
    students.push({ ...stage, model, fitRmse: regressions.map((r) => r.trainRmse), trainMs: Date.now() - t0 });
    current = model;
  }
  return { config, teacher, teacherSteps, students };
}

/** alpha = sqrt(abar_t), sigma = sqrt(1 - abar_t); t < 0 is the clean end (abar = 1 with set_alpha_to_one). */
function vpScales(s: Scheduler, t: number): { alpha: number; sigma: number } {
  const abar = t >= 0 ? s.alphasCumprod[t] : s.config.set_alpha_to_one === false ? s.alphasCumprod[0] : 1;
  return { alpha: Math.sqrt(abar), sigma: Math.sqrt(1 - abar) };
}

function teacherStep(s: Scheduler, model: ModelFn, z: Float32Array, index: number): Float32Array {
  const t = s.timesteps[index];
  return s.step(model(s.scaleModelInput(z, index), t, index), index, z).prevSample;
}

/** A ModelFn answering step i with regression i; any other grid is refused (students are step-count specific). */
function studentModel(regressions: RbfRegression[], timesteps: number[]): ModelFn {
  return (sample, timestep, stepIndex) => {
    if (
      !Number.isInteger(stepIndex) ||
      stepIndex < 0 ||
      stepIndex >= regressions.length ||
      timesteps[stepIndex] !== timestep
    ) {
      throw new InvalidArgumentError(
        'stepIndex',
        stepIndex,
        `this student was distilled for ${regressions.length} DDIM steps (timesteps ${timesteps.join(', ')}); got timestep ${timestep}`,
      );
    }
    return regressions[stepIndex].predict(sample);
  };
}

/**
 * Samples with a model of the simulation (a student at its own step count, or the teacher / the
 * exact denoiser at any count) by DDIM under `config`, from unit noise `initialNoise` (n x d).
 */
export function sampleDistilled(
  config: SchedulerConfig,
  model: ModelFn,
  steps: number,
  initialNoise: Float32Array,
): Float32Array {
  requireInteger('steps', steps, 1, 1024);
  return runSampler(createScheduler(config), model, initialNoise, { steps }).sample;
}
