/** Distance to the true distribution per halving stage: distilled students vs plain DDIM at the same steps. */
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { GaussianMixture } from '../toy/mixture.js';
import { slicedWasserstein2 } from '../toy/wasserstein.js';
import { sampleDistilled, type ProgressiveDistillationResult } from './progressive.js';

/** Mean, lowest and highest value over the seeds, one entry per step count. */
export interface SeedSpread {
  mean: number[];
  min: number[];
  max: number[];
}

/** What `progressiveDistillationCurve` returns (step counts ascending: finalSteps ... teacherSteps / 2). */
export interface DistillationCurve {
  steps: number[];
  /** Each stage's student at its own step count. */
  distilled: SeedSpread;
  /** DDIM with the exact denoiser (the original teacher's model) at the same step counts. */
  ddim: SeedSpread;
  /** The original teacher at teacherSteps (one entry). */
  teacher: { steps: number; mean: number; min: number; max: number };
  /** The sampling floor: fresh true samples of the same size vs `truth` (one value per seed). */
  floor: number[];
}

/** Options of `progressiveDistillationCurve`. */
export interface DistillationCurveOptions {
  /** Points per sample (default 2000). */
  points?: number;
  /** Noise seeds; each seed draws the same initial noise for every model (default [7, 8, 9]). */
  seeds?: number[];
  /** Reference sample of the true distribution (default: 5000 points, seed 1). */
  truth?: Float32Array;
  /** Directions of the sliced Wasserstein-2 distance (default 128, seed 0). */
  projections?: number;
}

/**
 * Samples every student of `result` at its own step count and the exact-denoiser DDIM at the same
 * counts, from the same initial noise per seed, and measures the sliced Wasserstein-2 distance
 * (`slicedWasserstein2`) of each sample to `truth`. Also the original teacher at its step count and
 * the sampling floor (fresh true samples of the same size, seeds 101, 102, ...).
 */
export function progressiveDistillationCurve(
  mixture: GaussianMixture,
  result: ProgressiveDistillationResult,
  options: DistillationCurveOptions = {},
): DistillationCurve {
  const points = requireInteger('points', options.points ?? 2000, 2, 1_000_000);
  const seeds = options.seeds ?? [7, 8, 9];
  if (!Array.isArray(seeds) || seeds.length === 0)
    throw new InvalidArgumentError('seeds', seeds, 'expected a non-empty array of integer seeds');
  seeds.forEach((s, i) => requireInteger(`seeds[${i}]`, s, 0));
  const projections = requireInteger('projections', options.projections ?? 128, 1, 100_000);
  const truth = options.truth ?? mixture.sample(5000, new Rng(1));
  const d = mixture.dim;
  const distance = (p: Float32Array) => slicedWasserstein2(p, truth, d, { projections, seed: 0 });
  const noises = seeds.map((s) => new Rng(s).normal(points * d));
  const spread = (values: number[]) => ({
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  });

  const students = [...result.students].sort((a, b) => a.studentSteps - b.studentSteps);
  const distilled: SeedSpread = { mean: [], min: [], max: [] };
  const ddim: SeedSpread = { mean: [], min: [], max: [] };
  const push = (into: SeedSpread, s: { mean: number; min: number; max: number }) => {
    into.mean.push(s.mean);
    into.min.push(s.min);
    into.max.push(s.max);
  };
  for (const student of students) {
    push(
      distilled,
      spread(noises.map((z) => distance(sampleDistilled(result.config, student.model, student.studentSteps, z)))),
    );
    push(
      ddim,
      spread(noises.map((z) => distance(sampleDistilled(result.config, result.teacher, student.studentSteps, z)))),
    );
  }
  const teacher = {
    steps: result.teacherSteps,
    ...spread(noises.map((z) => distance(sampleDistilled(result.config, result.teacher, result.teacherSteps, z)))),
  };
  const floor = seeds.map((_, i) => distance(mixture.sample(points, new Rng(101 + i))));
  return { steps: students.map((s) => s.studentSteps), distilled, ddim, teacher, floor };
}
