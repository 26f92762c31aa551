import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { type BenchStats, summarizeSamples } from './stats.js';

/** How to time a function. */
export interface BenchOptions {
  /** Untimed runs first, to let the JIT and caches settle (default 1). */
  warmup?: number;
  /** Timed runs, at least (default 5). */
  repeats?: number;
  /** Keep adding timed runs until their total reaches this many milliseconds (default 0). */
  minTimeMs?: number;
  /** Hard cap on timed runs when minTimeMs keeps asking for more (default 10000). */
  maxRepeats?: number;
}

interface ResolvedOptions {
  warmup: number;
  repeats: number;
  minTimeMs: number;
  maxRepeats: number;
}

function resolveOptions(options: BenchOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options', options, 'expected {warmup?, repeats?, minTimeMs?, maxRepeats?}');
  }
  const warmup = requireInteger('warmup', options.warmup ?? 1, 0);
  const repeats = requireInteger('repeats', options.repeats ?? 5, 1);
  const minTimeMs = requireFinite('minTimeMs', options.minTimeMs ?? 0, 0);
  const maxRepeats = requireInteger('maxRepeats', options.maxRepeats ?? 10_000, repeats);
  return { warmup, repeats, minTimeMs, maxRepeats };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/**
 * Times `fn` (sync or async; a returned promise is awaited inside the timed region) with
 * `process.hrtime.bigint`: `warmup` untimed runs, then at least `repeats` timed runs, more while
 * their total is under `minTimeMs`. Returns the samples and their median, quartiles, min, max, mean.
 */
export async function benchmark(fn: () => unknown, options?: BenchOptions): Promise<BenchStats> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', typeof fn, 'expected a function to time');
  const o = resolveOptions(options);
  for (let i = 0; i < o.warmup; i++) {
    const r = fn();
    if (isThenable(r)) await r;
  }
  const samples: number[] = [];
  let total = 0;
  while (samples.length < o.repeats || (total < o.minTimeMs && samples.length < o.maxRepeats)) {
    const t0 = process.hrtime.bigint();
    const r = fn();
    if (isThenable(r)) await r;
    const ms = nsToMs(process.hrtime.bigint() - t0);
    samples.push(ms);
    total += ms;
  }
  return summarizeSamples(samples);
}

/** `benchmark` for synchronous functions, without a promise (a returned promise is not awaited: use `benchmark`). */
export function benchmarkSync(fn: () => unknown, options?: BenchOptions): BenchStats {
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', typeof fn, 'expected a function to time');
  const o = resolveOptions(options);
  for (let i = 0; i < o.warmup; i++) fn();
  const samples: number[] = [];
  let total = 0;
  while (samples.length < o.repeats || (total < o.minTimeMs && samples.length < o.maxRepeats)) {
    const t0 = process.hrtime.bigint();
    const r = fn();
    const ms = nsToMs(process.hrtime.bigint() - t0);
    if (isThenable(r)) {
      throw new InvalidArgumentError(
        'fn',
        'a function returning a promise',
        'benchmarkSync times synchronous functions; use benchmark() for async ones',
      );
    }
    samples.push(ms);
    total += ms;
  }
  return summarizeSamples(samples);
}
