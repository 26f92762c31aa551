/**
 * Helpers of notebook 03, "Generating images with fewer steps": an interleaved timing sweep, the
 * speed colour code relative to a reference time, per-step previews of the denoised estimate, and
 * a fixed-cost + per-step-cost fit of measured times.
 */
import { linearRegression } from 'simple-statistics';
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { summarizeSamples, type BenchStats } from '../bench/stats.js';
import { GRID_SPEED_COLORS } from '../image/grid.js';
import { decodeImage } from '../image/tensorPng.js';
import type { GenerateOptions, TextToImagePipeline } from '../onnx/pipeline.js';
import type { CoursePlan, SamplingMethod } from './plan.js';

/** One configuration of an interleaved timing sweep. */
export interface InterleavedEntry {
  /** Unique name of the configuration, e.g. "LCM-4". */
  id: string;
  /** The work to time (sync or async; a returned promise is awaited inside the timed region). */
  run: () => unknown;
}

/** Options of benchmarkInterleaved. */
export interface InterleavedOptions {
  /** Untimed rounds first (default 1). */
  warmup?: number;
  /** Timed rounds: each entry is timed once per round (default 5). */
  repeats?: number;
}

/**
 * Times several configurations round-robin: `warmup` untimed rounds, then `repeats` rounds that
 * time every entry once, in order. Interleaving spreads a shared machine's slow spells over all
 * entries instead of penalising whichever ran during one. Returns each entry's BenchStats, in order.
 */
export async function benchmarkInterleaved(entries: readonly InterleavedEntry[], options: InterleavedOptions = {}): Promise<{ id: string; stats: BenchStats }[]> {
  if (!Array.isArray(entries) || entries.length === 0) throw new InvalidArgumentError('entries', entries, 'expected a non-empty array of {id, run}');
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (e === null || typeof e !== 'object' || typeof e.id !== 'string' || e.id === '') throw new InvalidArgumentError(`entries[${i}].id`, e?.id, 'expected a non-empty string');
    if (seen.has(e.id)) throw new InvalidArgumentError(`entries[${i}].id`, e.id, 'expected ids that are unique within the sweep');
    seen.add(e.id);
    if (typeof e.run !== 'function') throw new InvalidArgumentError(`entries[${i}].run`, typeof e.run, 'expected a function to time');
  });
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', options, 'expected {warmup?, repeats?}');
  const warmup = requireInteger('warmup', options.warmup ?? 1, 0, 1000);
  const repeats = requireInteger('repeats', options.repeats ?? 5, 1, 100_000);
  const samples: number[][] = entries.map(() => []);
  for (let round = 0; round < warmup + repeats; round++) {
    for (let k = 0; k < entries.length; k++) {
      const t0 = process.hrtime.bigint();
      await entries[k].run();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (round >= warmup) samples[k].push(ms);
    }
  }
  return entries.map((e, k) => ({ id: e.id, stats: summarizeSamples(samples[k]) }));
}

/** The course's speed classes (caption colours of GRID_SPEED_COLORS). */
export type StepSpeedClass = keyof typeof GRID_SPEED_COLORS;

/** Limits of the speed colour code as fractions of a reference time (fast below `fast`, medium below `medium`, else slow). */
export interface StepSpeedThresholds {
  fast: number;
  medium: number;
}

/** Notebook 03's thresholds, relative to the 50-step time: fast under 25% of it, medium under 60%, slow above (as notebook 01). */
export const STEP_SPEED_THRESHOLDS: Readonly<StepSpeedThresholds> = Object.freeze({ fast: 0.25, medium: 0.6 });

function checkThresholds(t: StepSpeedThresholds): StepSpeedThresholds {
  if (t === null || typeof t !== 'object') throw new InvalidArgumentError('thresholds', t, 'expected {fast, medium} fractions of the reference time');
  const fast = requireFinite('thresholds.fast', t.fast, Number.MIN_VALUE);
  const medium = requireFinite('thresholds.medium', t.medium, Number.MIN_VALUE);
  if (medium < fast) throw new InvalidArgumentError('thresholds.medium', medium, `expected >= thresholds.fast (${fast})`);
  return { fast, medium };
}

/** The speed class of a time `ms` relative to `referenceMs`: 'fast' if ms < fast * ref, 'medium' if ms < medium * ref, else 'slow'. */
export function stepSpeedClass(ms: number, referenceMs: number, thresholds: StepSpeedThresholds = STEP_SPEED_THRESHOLDS): StepSpeedClass {
  requireFinite('ms', ms, 0);
  requireFinite('referenceMs', referenceMs, Number.MIN_VALUE);
  const { fast, medium } = checkThresholds(thresholds);
  return ms < fast * referenceMs ? 'fast' : ms < medium * referenceMs ? 'medium' : 'slow';
}

/** The caption colour (GRID_SPEED_COLORS) of stepSpeedClass(ms, referenceMs, thresholds). */
export function stepSpeedColor(ms: number, referenceMs: number, thresholds: StepSpeedThresholds = STEP_SPEED_THRESHOLDS): string {
  return GRID_SPEED_COLORS[stepSpeedClass(ms, referenceMs, thresholds)];
}

/** `k` indices spread evenly over 0..n-1 (round(i (n-1) / (k-1))), always the first and the last; all n when k >= n. */
export function evenlySpacedIndices(n: number, k: number): number[] {
  requireInteger('n', n, 1);
  requireInteger('k', k, 1);
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [n - 1];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/** The distinct sampling methods a plan uses over its step counts (e.g. LCM and DPM-Solver++ on the teacher), in order of first use. */
export function plannedMethods(plan: Pick<CoursePlan, 'stepCounts' | 'methodFor'>): SamplingMethod[] {
  const out: SamplingMethod[] = [];
  for (const steps of plan.stepCounts) {
    const m = plan.methodFor(steps);
    if (!out.some((o) => o.name === m.name && o.dir === m.dir)) out.push(m);
  }
  return out;
}

/** What collectDenoisedPreviews returns. */
export interface DenoisedPreviews {
  /** PNG of the decoded denoised estimate (predicted clean image) after each step, first image of the batch. */
  previews: Buffer[];
  /** The timestep of each step. */
  timesteps: number[];
  /** The finished image (first of the batch). */
  image: Buffer;
}

/**
 * Generates once with `previews: true` and collects, at every step, the PNG of the decoded
 * denoised estimate (the scheduler's predicted x_0) of the first image, with the step's timestep.
 */
export async function collectDenoisedPreviews(pipe: TextToImagePipeline, options: GenerateOptions): Promise<DenoisedPreviews> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', options, 'expected generate options');
  if (options.callback !== undefined) throw new InvalidArgumentError('callback', '<function>', 'none: collectDenoisedPreviews installs its own callback');
  if (options.previews === false) throw new InvalidArgumentError('previews', false, 'true or left out: previews are what is collected');
  const previews: Buffer[] = [];
  const timesteps: number[] = [];
  const result = await pipe.generate({
    ...options,
    previews: true,
    callback: (info) => {
      previews.push(info.previews![0]);
      timesteps.push(info.timestep);
    },
  });
  return { previews, timesteps, image: result.images[0] };
}

/**
 * Root-mean-square pixel difference (8-bit units, 0-255, over RGB) between each PNG and a reference
 * PNG of the same size: how far each step's estimate still is from the finished image.
 */
export async function rmsToReferencePng(pngs: readonly Uint8Array[], reference: Uint8Array): Promise<number[]> {
  if (!Array.isArray(pngs)) throw new InvalidArgumentError('pngs', pngs, 'expected an array of PNG buffers');
  const ref = await decodeImage(reference, { channels: 3 });
  const out: number[] = [];
  for (let i = 0; i < pngs.length; i++) {
    const img = await decodeImage(pngs[i], { channels: 3 });
    if (img.width !== ref.width || img.height !== ref.height) {
      throw new InvalidArgumentError(`pngs[${i}]`, `${img.width}x${img.height}`, `expected the reference's size ${ref.width}x${ref.height}`);
    }
    let sum = 0;
    for (let p = 0; p < img.data.length; p++) {
      const d = img.data[p] - ref.data[p];
      sum += d * d;
    }
    out.push(Math.sqrt(sum / img.data.length));
  }
  return out;
}

/** A least-squares line through (steps, ms): time = fixedMs + msPerStep * steps. */
export interface StepTimeFit {
  msPerStep: number;
  fixedMs: number;
}

/** Fits time = fixedMs + msPerStep * steps by ordinary least squares (at least two distinct step counts). */
export function fitTimePerStep(steps: readonly number[], ms: readonly number[]): StepTimeFit {
  if (!Array.isArray(steps) || steps.length < 2) throw new InvalidArgumentError('steps', steps, 'expected an array of at least 2 step counts');
  if (!Array.isArray(ms) || ms.length !== steps.length) throw new InvalidArgumentError('ms.length', Array.isArray(ms) ? ms.length : ms, `expected ${steps.length} (one time per step count)`);
  steps.forEach((s, i) => requireFinite(`steps[${i}]`, s, 0));
  ms.forEach((v, i) => requireFinite(`ms[${i}]`, v, 0));
  if (steps.every((s) => s === steps[0])) throw new InvalidArgumentError('steps', steps, 'expected at least 2 distinct step counts');
  const { m, b } = linearRegression(steps.map((s, i) => [s, ms[i]]));
  return { msPerStep: m, fixedMs: b };
}
