/**
 * The course's Pareto sweep: the configurations notebook 05 measures and notebook 07 summarises
 * (from the measurement cache, with the same Method ids and the same measurement settings), so the
 * two notebooks show the same rows.
 */
import * as path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import type { Method } from '../evaluation/method.js';
import { planMethods, type SweepChoice } from '../evaluation/sweep.js';
import type { CoursePlan } from './plan.js';

/**
 * Step counts per family of the Pareto sweep: trimmed so that notebook 05 measures in a few minutes
 * on a 2-core CPU (DDIM 25 and DPM-Solver++ 15 are the slow, high-quality end); one DDIM 4 with
 * diffusers' default leading spacing shows why spacing matters.
 */
export const PARETO_SWEEP: Readonly<Required<Omit<SweepChoice, 'lcmLoraDir'>>> = Object.freeze({
  ddim: Object.freeze([4, 8, 25]),
  dpmSolver: Object.freeze([4, 15]),
  fewStep: Object.freeze([1, 2, 4]),
  lcmLora: Object.freeze([2, 4]),
  progressive: Object.freeze([1, 2, 4, 8]),
  turbo: Object.freeze([1, 2, 4]),
  lightning: Object.freeze([1, 2, 4]),
  ddimLeading: Object.freeze([4]),
});

/** How the Pareto sweep is measured: images per quality row (with / without the scene evaluator), kept samples, timing rounds. */
export const PARETO_MEASUREMENT = Object.freeze({
  imagesWithEvaluator: 200,
  imagesWithoutEvaluator: 6,
  keepSamples: 4,
  rounds: 9,
  warmupRounds: 1,
});

/** Where the sweep's LCM-LoRA is fused (one folder, so that notebooks 05 and 07 name the same Method). */
export const paretoLcmLoraDir = (): string => path.join(packageRoot(), 'out', 'nb05-lcm-lora');

/** The Methods of the Pareto sweep for a plan (PARETO_SWEEP through planMethods; families the plan lacks are left out). */
export function paretoMethods(plan: CoursePlan): Method[] {
  if (plan === null || typeof plan !== 'object' || !plan.main)
    throw new InvalidArgumentError('plan', plan, 'a CoursePlan (coursePlan())');
  return planMethods(plan, { ...PARETO_SWEEP, lcmLoraDir: paretoLcmLoraDir() });
}

/** Images per quality row of the Pareto sweep: PARETO_MEASUREMENT's count with the plan's scene evaluator, else the PSNR count. */
export function paretoImages(plan: Pick<CoursePlan, 'evaluator'>): number {
  return plan.evaluator ? PARETO_MEASUREMENT.imagesWithEvaluator : PARETO_MEASUREMENT.imagesWithoutEvaluator;
}
