import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { checkTimestepsInRange, spacedTimesteps } from '../schedules/timesteps.js';
import { configFlag, trainingScheduleFromConfig } from '../schedules/trainingSchedule.js';
import {
  checkNumSteps,
  checkPredictionType,
  checkSpacing,
  checkStepIndex,
  type PredictionType,
  type TimestepSpacing,
} from './common.js';
import type { Scheduler, StepOptions, StepOutput } from './types.js';

/**
 * What DDPM and DDIM share: a variance-preserving training schedule, an integer timestep grid
 * (leading / trailing / linspace + steps_offset), no input scaling, and clip_sample on x0.
 * Subclasses implement `step`.
 */
export abstract class DiscreteVpScheduler implements Scheduler {
  abstract readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: Float64Array;
  readonly sigmas = new Float64Array(0);
  readonly initNoiseSigma = 1;
  protected readonly predictionType: PredictionType;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  protected steps = 0;
  protected grid: number[] = [];

  protected constructor(cfg: Record<string, unknown>) {
    const schedule = trainingScheduleFromConfig(cfg);
    this.numTrainTimesteps = schedule.numTrainTimesteps;
    this.alphasCumprod = schedule.alphasCumprod;
    this.predictionType = checkPredictionType(cfg.prediction_type);
    this.spacing = checkSpacing(cfg.timestep_spacing);
    this.stepsOffset = requireInteger('steps_offset', cfg.steps_offset, 0);
    this.clipSample = configFlag(cfg, 'clip_sample');
    this.clipSampleRange = requireFinite('clip_sample_range', cfg.clip_sample_range, 0);
    if (configFlag(cfg, 'thresholding')) {
      throw new InvalidArgumentError(
        'thresholding',
        true,
        'dynamic thresholding (Imagen) is not implemented; set thresholding: false (clip_sample still works)',
      );
    }
    this.config = Object.freeze(cfg);
  }

  get numInferenceSteps(): number {
    return this.steps;
  }

  get timesteps(): number[] {
    return this.grid.slice();
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = checkNumSteps(numInferenceSteps, this.numTrainTimesteps);
    const grid = spacedTimesteps(this.spacing, this.numTrainTimesteps, n, {
      stepsOffset: this.stepsOffset,
      integer: true,
    });
    checkTimestepsInRange(grid, this.numTrainTimesteps, this.stepsOffset);
    this.steps = n;
    this.grid = grid;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.steps);
    return sample;
  }

  abstract step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, options?: StepOptions): StepOutput;

  /** clip_sample: clamps the x0 prediction to [-clip_sample_range, clip_sample_range] in place. */
  protected clipPrediction(predOriginalSample: Float32Array): void {
    if (!this.clipSample) return;
    const r = this.clipSampleRange;
    for (let k = 0; k < predOriginalSample.length; k++)
      predOriginalSample[k] = Math.min(r, Math.max(-r, predOriginalSample[k]));
  }
}
