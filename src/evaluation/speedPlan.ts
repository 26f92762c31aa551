/**
 * The speed methods of a course plan and the plumbing of the speed notebook (04) and exercises 2-3:
 * which Method times many steps and which few, per-size and per-batch variants, curves of timed
 * results with their IQR bands, the UNet FLOP count per size (cached), and the machine's load.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { countOnnxFlops, unetFlopShapes } from '../bench/flops.js';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import type { CoursePlan, PlannedModel } from '../course/plan.js';
import { unetEvaluationsPerStep } from '../onnx/pipeline.js';
import { cachedWithOutcome } from './cache.js';
import { describeMachine, measurementKey } from './key.js';
import type { Method } from './method.js';
import type { MethodResult } from './result.js';
import type { EvaluationSession } from './session.js';
import { teacherDpmSolver } from './sweep.js';

/** Image size and batch of a timed method (default: the model's native size, batch 1). */
export interface SpeedVariant {
  size?: number;
  batch?: number;
}

function named(m: Method, v: SpeedVariant): Method {
  const out: Method = { ...m };
  let name = m.name;
  if (v.size !== undefined) {
    out.size = requireInteger('size', v.size, 8, 4096);
    name += ` @ ${out.size} px`;
  }
  if (v.batch !== undefined) {
    out.batch = requireInteger('batch', v.batch, 1, 256);
    name += ` x${out.batch}`;
  }
  return { ...out, name };
}

function fewModelMethod(f: PlannedModel, steps: number): Method {
  const family = f.family === 'turbo' ? 'Turbo' : 'LCM';
  return { name: `${family} ${steps}`, family, dir: f.dir, steps, guidance: f.defaults.guidance };
}

function checkPlan(plan: CoursePlan): void {
  if (plan === null || typeof plan !== 'object' || !plan.main)
    throw new InvalidArgumentError('plan', plan, 'a CoursePlan (coursePlan())');
}

/**
 * The many-step sampler of a plan at `steps`: the teacher with DPM-Solver++ 2M (trailing spacing,
 * teacher guidance), or the few-step model when the plan has no teacher.
 */
export function manyStepMethod(plan: CoursePlan, steps: number, v: SpeedVariant = {}): Method {
  checkPlan(plan);
  requireInteger('steps', steps, 1, 1000);
  const m = plan.teacher ? teacherDpmSolver(plan.teacher, steps) : fewModelMethod(plan.fewStep ?? plan.main, steps);
  return named(m, v);
}

/** The few-step model of a plan at `steps` (LCM or Turbo, its own scheduler and guidance), or the teacher when there is none. */
export function fewStepMethod(plan: CoursePlan, steps: number, v: SpeedVariant = {}): Method {
  checkPlan(plan);
  requireInteger('steps', steps, 1, 1000);
  const m = plan.fewStep ? fewModelMethod(plan.fewStep, steps) : teacherDpmSolver(plan.teacher ?? plan.main, steps);
  return named(m, v);
}

/** The course's rule (plan.methodFor: the few-step model at <= FEW_STEP_LIMIT steps, else the teacher with DPM-Solver++), with a size/batch variant. */
export function courseSpeedMethod(plan: CoursePlan, steps: number, v: SpeedVariant = {}): Method {
  checkPlan(plan);
  requireInteger('steps', steps, 1, 1000);
  return named(plan.methodFor(steps), v);
}

/** The timed result of `m` among `results` (matched by name); throws naming the method when it is missing or untimed. */
export function timedResult(
  results: readonly MethodResult[],
  m: Method | string,
): MethodResult & { time: NonNullable<MethodResult['time']> } {
  const name = typeof m === 'string' ? m : m.name;
  const r = results.find((x) => x.method.name === name);
  if (!r || !r.time)
    throw new InvalidArgumentError(
      'method',
      name,
      `a timed method of the results (have: ${results.map((x) => x.method.name).join(', ')})`,
    );
  return r as MethodResult & { time: NonNullable<MethodResult['time']> };
}

/** A curve of timed results for a line chart: x from each result, y = median ms per image, band = its IQR. */
export function timeCurve(
  results: readonly MethodResult[],
  x: (r: MethodResult) => number,
): { x: number[]; y: number[]; band: { lower: number[]; upper: number[] } } {
  const timed = results.map((r) => timedResult(results, r.method));
  return {
    x: timed.map(x),
    y: timed.map((r) => r.time.medianMs),
    band: { lower: timed.map((r) => r.time.q1Ms), upper: timed.map((r) => r.time.q3Ms) },
  };
}

/** "median and IQR of 5-9 runs per point, measured now on 2 x CPU, provider cpu": the source line of a timing chart. */
export function timeSource(results: readonly MethodResult[]): string {
  const timed = results.filter((r) => r.time);
  if (timed.length === 0) throw new InvalidArgumentError('results', results, 'at least one timed result');
  const ns = timed.map((r) => r.time!.n);
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  const p = timed[0].provenance.time!;
  const when =
    p.source === 'cache hit'
      ? `cache hit (measured ${p.measuredAt.slice(0, 16).replace('T', ' ')} UTC)`
      : 'measured now';
  return `median and IQR of ${lo === hi ? lo : `${lo}-${hi}`} runs per point, ${when} on ${describeMachine(p.machine)}`;
}

/** The 1-minute load average, or undefined where the OS does not report one. */
export function loadAverage(): number | undefined {
  const l = os.loadavg()[0];
  return Number.isFinite(l) && (l > 0 || os.platform() === 'linux') ? l : undefined;
}

/** The UNet FLOPs of one denoising step of `m` at each size, or why they could not be counted. */
export interface UnetFlopsBySize {
  sizes: number[];
  /** UNet evaluations (rows) per step: 2 under classifier-free guidance, else 1. */
  rows: number;
  /** FLOPs per step at each size (null where it could not be counted). */
  flops: (number | null)[];
  /** Why the count is missing (e.g. no Python with onnx), when it is. */
  skipped?: string;
}

/**
 * Counts the FLOPs of one UNet step of `m` (its rows under guidance) at each size with
 * models/recipes/count_flops.py, through the measurement cache (key from the method's content
 * fingerprint); a missing Python/onnx gives `skipped` instead of numbers.
 */
export async function unetFlopsBySize(
  session: EvaluationSession,
  m: Method,
  sizes: readonly number[],
): Promise<UnetFlopsBySize> {
  if (!Array.isArray(sizes) || sizes.length === 0) throw new InvalidArgumentError('sizes', sizes, 'a non-empty array');
  sizes.forEach((s, i) => requireInteger(`sizes[${i}]`, s, 8, 4096));
  const pipe = await session.pipeline(m);
  const rows = unetEvaluationsPerStep(pipe.family, m.guidance);
  let skipped: string | undefined;
  const count = (): UnetFlopsBySize => {
    try {
      const flops = sizes.map((size) => {
        const shapes = unetFlopShapes(pipe.unet.inputs, {
          rows,
          latentChannels: pipe.latentChannels,
          latentHeight: size / 8,
          latentWidth: size / 8,
          timeCondDim: pipe.timeCondDim,
        });
        return countOnnxFlops(path.join(m.dir, 'unet', 'model.onnx'), shapes).flops;
      });
      return { sizes: [...sizes], rows, flops };
    } catch (e) {
      // Thrown out of the cache so that nothing is stored: the next run tries again.
      skipped = (e as Error).message;
      throw e;
    }
  };
  const machine = await session.machine(m);
  const key = await measurementKey('unet-flops', [{ ...m, size: undefined, batch: undefined }], machine, {
    sizes,
    rows,
  });
  try {
    const c = await cachedWithOutcome(key, count, {
      name: 'unet-flops',
      dir: session.options.cacheDir,
      force: session.options.force,
      validate: (v) => {
        const u = v as UnetFlopsBySize;
        const ok =
          u !== null &&
          typeof u === 'object' &&
          Array.isArray(u.flops) &&
          u.flops.length === sizes.length &&
          u.flops.every((f) => typeof f === 'number' && f > 0);
        return ok ? [] : ['flops is not one positive number per size'];
      },
    });
    return c.value;
  } catch (e) {
    if (skipped === undefined) throw e;
    return { sizes: [...sizes], rows, flops: sizes.map(() => null), skipped };
  }
}
