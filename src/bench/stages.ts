/**
 * Where the time of one generation goes: the median of each of the pipeline's own stage timings
 * over timed runs (text encoder, UNet, scheduler, VAE decoder, PNG), and the rest of the wall time.
 */
import { summarizeSamples } from './stats.js';

/** Medians of the pipeline's own stage timings over timed runs, milliseconds. */
export interface StageBreakdown {
  /** Tokenizer + text encoder. */
  textEncoderMs: number;
  /** All UNet calls (sum over steps). */
  unetMs: number;
  /** Scheduler steps, input scaling and initial noise. */
  schedulerMs: number;
  /** VAE decoder. */
  vaeMs: number;
  /** PNG encoding. */
  pngMs: number;
  /** Wall time not in any stage above (tensor set-up, bookkeeping): median wall time - the stage medians, at least 0. */
  otherMs: number;
}

/** The stage timings a run reports (the pipeline's GenerateResult.timings has these fields). */
export interface StageTimings {
  tokenizerMs?: number;
  textEncoderMs?: number;
  unetMs?: number[] | number;
  schedulerMs?: number;
  vaeMs?: number;
  pngMs?: number;
}

/** The stages of a StageBreakdown in pipeline order, with a label for charts and tables. */
export const STAGE_LABELS: readonly (readonly [keyof StageBreakdown, string])[] = Object.freeze([
  ['textEncoderMs', 'text encoder'],
  ['unetMs', 'UNet'],
  ['schedulerMs', 'scheduler'],
  ['vaeMs', 'VAE decoder'],
  ['pngMs', 'PNG'],
  ['otherMs', 'other'],
] as const);

function sumUnet(u: number[] | number | undefined): number {
  if (typeof u === 'number') return u;
  return Array.isArray(u) ? u.reduce((a, b) => a + b, 0) : NaN;
}

/**
 * Median stage times of timed runs (each an object with the pipeline's `timings`, or anything else,
 * which is skipped) and the median wall time; undefined when no run reported timings.
 */
export function stageBreakdown(
  results: readonly ({ timings?: StageTimings } | unknown)[],
  wallMedianMs: number,
): StageBreakdown | undefined {
  const timed = results
    .map((r) => (r !== null && typeof r === 'object' ? (r as { timings?: StageTimings }).timings : undefined))
    .filter((t): t is StageTimings => t !== undefined && t !== null && typeof t === 'object');
  if (timed.length === 0) return undefined;
  const med = (pick: (t: StageTimings) => number) => {
    const v = timed.map(pick).filter((x) => Number.isFinite(x) && x >= 0);
    return v.length === 0 ? 0 : summarizeSamples(v).medianMs;
  };
  const textEncoderMs = med((t) => (t.tokenizerMs ?? 0) + (t.textEncoderMs ?? 0));
  const unetMs = med((t) => sumUnet(t.unetMs));
  const schedulerMs = med((t) => t.schedulerMs ?? 0);
  const vaeMs = med((t) => t.vaeMs ?? 0);
  const pngMs = med((t) => t.pngMs ?? 0);
  const otherMs = Math.max(0, wallMedianMs - (textEncoderMs + unetMs + schedulerMs + vaeMs + pngMs));
  return { textEncoderMs, unetMs, schedulerMs, vaeMs, pngMs, otherMs };
}
