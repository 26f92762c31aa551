/**
 * What an evaluation returns: one `MethodResult` per method, with quality as bootstrap intervals,
 * time as median and interquartile range, and where each number comes from (measured now, or a
 * cache hit with when and on which machine). The validators are the schema the cache checks a
 * stored value against before re-using it.
 */
import type { StageBreakdown } from '../bench/stages.js';
import type { Interval } from './bootstrap.js';
import type { MachineIdentity } from './key.js';
import type { Method } from './method.js';

/** Time per image: median and quartiles over timed runs (type 7 quartiles, src/bench). */
export interface TimeStats {
  medianMs: number;
  q1Ms: number;
  q3Ms: number;
  iqrMs: number;
  /** Timed runs. */
  n: number;
  /** Median time per image of each pipeline stage (src/bench/stages), when the runs reported stage timings. */
  stages?: StageBreakdown;
}

/** Quality of one method's image set. */
export interface QualityStats {
  /** Images generated (image i for reference prompt i, seed 1000 + i). */
  images: number;
  /** Frechet distance in the scene evaluator's feature space (lower is better), with its bootstrap interval. */
  frechet?: Interval;
  /** Mean fraction of the prompt's attributes the evaluator finds (higher is better). */
  adherence?: Interval;
  /** Fraction of images with every attribute right. */
  allCorrect?: number;
  /**
   * Mean CLIPScore (Hessel et al. 2021, w = 1: 100 x max(cos, 0) of the scenes-clip image and prompt
   * embeddings; higher is better) with its bootstrap interval. Absent when the session had no
   * scenes-clip model (models/scenes-clip missing).
   */
  clipScore?: Interval;
  /** Mean PSNR (dB, capped at 100) against the reference method's images of the same prompts and seeds. */
  psnrDb?: Interval;
  /** Mean SSIM against the same images. */
  ssim?: Interval;
  /** Image pairs behind psnrDb / ssim. */
  pairs?: number;
}

/** Where a number comes from. */
export interface MeasurementOrigin {
  /** 'measured now' in this run, or 'cache hit' (measured earlier by the same code on this machine). */
  source: 'measured now' | 'cache hit';
  /** When it was measured (ISO 8601). */
  measuredAt: string;
  machine: MachineIdentity;
  /** The cache file (for a hit: where the stored value is). */
  file?: string;
}

/**
 * The provenance of numbers read from measurement origins (one or more results' quality or time): 'measured', and when any
 * of them is a cache hit, their machine and the earliest time they were measured (the label then says "read from
 * the measurement cache" with that time instead of "measured now"; all measured now: this machine, now).
 */
export function originProvenance(origins: MeasurementOrigin | readonly (MeasurementOrigin | undefined)[]): {
  provenance: 'measured';
  machine?: string;
  provider?: string;
  measuredAt?: string;
} {
  const list = (Array.isArray(origins) ? origins : [origins]).filter((o): o is MeasurementOrigin => o !== undefined);
  if (list.length === 0) return { provenance: 'measured' };
  const provider = list[0].machine.provider;
  const hits = list.filter((o) => o.source === 'cache hit');
  if (hits.length === 0) return { provenance: 'measured', provider };
  const earliest = hits.map((o) => o.measuredAt).sort()[0];
  const m = hits[0].machine;
  return { provenance: 'measured', machine: `${m.cores} x ${m.cpu}`, provider, measuredAt: earliest };
}

/** One method's measured result. */
export interface MethodResult {
  method: Method;
  /** methodId(method). */
  id: string;
  quality?: QualityStats;
  /** Time per image at batch 1 (or method.batch), end to end. */
  time?: TimeStats;
  /** The first images of the quality run, base64 PNGs (when asked for). */
  samples?: string[];
  /**
   * Where each part comes from: quality = Frechet distance and adherence (without an evaluator: the
   * PSNR/SSIM pairs), pairs = PSNR/SSIM against the reference method, time = the timing.
   */
  provenance: { quality?: MeasurementOrigin; pairs?: MeasurementOrigin; time?: MeasurementOrigin };
}

/** PSNR/SSIM of a method's first images against the reference method's images (a cache row of its own). */
export interface PairStats {
  psnrDb: Interval;
  ssim: Interval;
  pairs: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Problems of an Interval-shaped value within [min, max] (empty: valid). */
export function intervalProblems(v: unknown, field: string, min = -Infinity, max = Infinity): string[] {
  if (v === null || typeof v !== 'object')
    return [`${field} is ${JSON.stringify(v)}, not an interval {value, low, high, level}`];
  const i = v as Record<string, unknown>;
  const out: string[] = [];
  for (const k of ['value', 'low', 'high', 'level'])
    if (!isNum(i[k])) out.push(`${field}.${k} is ${JSON.stringify(i[k])}, not a finite number`);
  if (out.length > 0) return out;
  const { value, low, high, level } = i as unknown as Interval;
  if (low > high) out.push(`${field}: low ${low} > high ${high}`);
  if (value < min || value > max) out.push(`${field}.value ${value} is outside [${min}, ${max}]`);
  if (low < min - 1e-9 || high > max + 1e-9) out.push(`${field} [${low}, ${high}] leaves [${min}, ${max}]`);
  if (!(level > 0 && level < 1)) out.push(`${field}.level ${level} is not in (0, 1)`);
  return out;
}

/**
 * Problems of a stored QualityStats (plus samples), e.g. a negative or NaN Frechet distance (empty:
 * valid). With `clipScore` true the row must hold a CLIPScore, with false it must not (a row measured
 * without scenes-clip is never taken for one with it, nor the other way round); undefined: either.
 */
export function qualityProblems(v: unknown, expect: { clipScore?: boolean } = {}): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return [`quality is ${JSON.stringify(v)}, not an object`];
  const q = v as Record<string, unknown>;
  const out: string[] = [];
  if (!Number.isInteger(q.images) || (q.images as number) < 1)
    out.push(`images is ${JSON.stringify(q.images)}, not a positive integer`);
  if (q.frechet !== undefined) out.push(...intervalProblems(q.frechet, 'frechet', 0));
  if (q.adherence !== undefined) out.push(...intervalProblems(q.adherence, 'adherence', 0, 1));
  if (q.allCorrect !== undefined && !(isNum(q.allCorrect) && q.allCorrect >= 0 && q.allCorrect <= 1))
    out.push(`allCorrect is ${JSON.stringify(q.allCorrect)}, not in [0, 1]`);
  out.push(...clipScoreProblems(q, expect.clipScore));
  if (q.psnrDb !== undefined) out.push(...intervalProblems(q.psnrDb, 'psnrDb', 0, 100));
  if (q.ssim !== undefined) out.push(...intervalProblems(q.ssim, 'ssim', -1, 1));
  if (q.pairs !== undefined && !(Number.isInteger(q.pairs) && (q.pairs as number) >= 1))
    out.push(`pairs is ${JSON.stringify(q.pairs)}, not a positive integer`);
  if (q.frechet === undefined && q.psnrDb === undefined) out.push('neither frechet nor psnrDb is present');
  if (
    q.samples !== undefined &&
    !(Array.isArray(q.samples) && q.samples.every((s) => typeof s === 'string' && /^[A-Za-z0-9+/]+=*$/.test(s)))
  ) {
    out.push('samples is not an array of base64 strings');
  }
  const known = new Set([
    'images',
    'frechet',
    'adherence',
    'allCorrect',
    'clipScore',
    'psnrDb',
    'ssim',
    'pairs',
    'samples',
  ]);
  for (const k of Object.keys(q)) if (!known.has(k)) out.push(`unknown field ${k}`);
  return out;
}

/** Problems of a stored row's clipScore: an interval in [0, 100]; present or absent as `expected` says (undefined: either). */
function clipScoreProblems(q: Record<string, unknown>, expected: boolean | undefined): string[] {
  if (q.clipScore === undefined)
    return expected === true ? ['clipScore is missing (a row measured without the scenes-clip model)'] : [];
  if (expected === false) return ['clipScore is present in a row measured without the scenes-clip model'];
  return intervalProblems(q.clipScore, 'clipScore', 0, 100);
}

/** Problems of stored TimeStats (empty: valid). */
export function timeProblems(v: unknown, field = 'time'): string[] {
  if (v === null || typeof v !== 'object')
    return [`${field} is ${JSON.stringify(v)}, not {medianMs, q1Ms, q3Ms, iqrMs, n}`];
  const t = v as Record<string, unknown>;
  const out: string[] = [];
  for (const k of ['medianMs', 'q1Ms', 'q3Ms', 'iqrMs'])
    if (!(isNum(t[k]) && (t[k] as number) >= 0))
      out.push(`${field}.${k} is ${JSON.stringify(t[k])}, not a finite number >= 0`);
  if (!(Number.isInteger(t.n) && (t.n as number) >= 1))
    out.push(`${field}.n is ${JSON.stringify(t.n)}, not a positive integer`);
  if (out.length === 0) {
    const s = t as unknown as TimeStats;
    if (!(s.q1Ms <= s.medianMs && s.medianMs <= s.q3Ms))
      out.push(`${field}: quartiles ${s.q1Ms} <= ${s.medianMs} <= ${s.q3Ms} do not hold`);
    if (Math.abs(s.q3Ms - s.q1Ms - s.iqrMs) > 1e-6 * Math.max(1, s.q3Ms))
      out.push(`${field}.iqrMs ${s.iqrMs} is not q3 - q1`);
  }
  if (t.stages !== undefined) {
    const st = t.stages as Record<string, unknown> | null;
    const names = ['textEncoderMs', 'unetMs', 'schedulerMs', 'vaeMs', 'pngMs', 'otherMs'];
    if (st === null || typeof st !== 'object') out.push(`${field}.stages is ${JSON.stringify(st)}, not an object`);
    else
      for (const k of names)
        if (!(isNum(st[k]) && (st[k] as number) >= 0))
          out.push(`${field}.stages.${k} is ${JSON.stringify(st[k])}, not a finite number >= 0`);
  }
  return out;
}

/** Problems of a stored list of TimeStats, one per method (empty: valid). */
export function timeListProblems(v: unknown, count: number): string[] {
  if (!Array.isArray(v)) return [`times is ${typeof v}, not an array`];
  if (v.length !== count) return [`times holds ${v.length} entries, expected ${count} (one per method)`];
  return v.flatMap((t, i) => timeProblems(t, `times[${i}]`));
}

/** Problems of stored PairStats (empty: valid). */
export function pairProblems(v: unknown): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`pairs is ${JSON.stringify(v)}, not an object`];
  const q = v as Record<string, unknown>;
  const out = [...intervalProblems(q.psnrDb, 'psnrDb', 0, 100), ...intervalProblems(q.ssim, 'ssim', -1, 1)];
  if (!(Number.isInteger(q.pairs) && (q.pairs as number) >= 1))
    out.push(`pairs is ${JSON.stringify(q.pairs)}, not a positive integer`);
  for (const k of Object.keys(q)) if (!['psnrDb', 'ssim', 'pairs'].includes(k)) out.push(`unknown field ${k}`);
  return out;
}

/**
 * Problems of a stored adherence on given prompts: {images = count, adherence, allCorrect, clipScore?}
 * (empty: valid); `expect.clipScore` as in qualityProblems.
 */
export function promptQualityProblems(v: unknown, count: number, expect: { clipScore?: boolean } = {}): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return [`adherence is ${JSON.stringify(v)}, not an object`];
  const q = v as Record<string, unknown>;
  const out = [...intervalProblems(q.adherence, 'adherence', 0, 1), ...clipScoreProblems(q, expect.clipScore)];
  if (q.images !== count) out.push(`images is ${JSON.stringify(q.images)}, not ${count} (one per prompt)`);
  if (!(isNum(q.allCorrect) && q.allCorrect >= 0 && q.allCorrect <= 1))
    out.push(`allCorrect is ${JSON.stringify(q.allCorrect)}, not in [0, 1]`);
  for (const k of Object.keys(q))
    if (!['images', 'adherence', 'allCorrect', 'clipScore'].includes(k)) out.push(`unknown field ${k}`);
  return out;
}

/** Problems of stored samples: `count` base64 strings (empty: valid). */
export function samplesProblems(v: unknown, count: number): string[] {
  if (!Array.isArray(v) || v.length !== count) return [`samples is not an array of ${count} entries`];
  return v.every((s) => typeof s === 'string' && s.length > 0 && /^[A-Za-z0-9+/]+=*$/.test(s))
    ? []
    : ['samples holds something other than base64 strings'];
}
