/**
 * Interleaved timing: several configurations timed round-robin, so that a shared machine's slow
 * spell spreads over all of them instead of spoiling whichever happened to run during it.
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import { summarizeSamples, type BenchStats } from './stats.js';

/** One configuration of an interleaved timing run. */
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
  /**
   * After the `repeats` rounds, keep timing (in further interleaved rounds) every entry whose timed
   * runs add up to less than this many milliseconds (default 0: off), so that cheap entries get more
   * samples and steadier medians.
   */
  minTimeMs?: number;
  /** Most timed runs of one entry when minTimeMs asks for more (default 50). */
  maxRepeats?: number;
  /** Clock in milliseconds (default performance.now); tests pass a fake one. */
  now?: () => number;
  /** Called after each timed round with the round number (1-based), e.g. for progress output. */
  onRound?: (round: number) => void;
}

/** What benchmarkInterleaved measured for one entry. */
export interface InterleavedResult {
  id: string;
  stats: BenchStats;
  /** The timed samples in milliseconds, in the order taken. */
  samplesMs: number[];
  /** What `run` returned (awaited) in each timed run. */
  results: unknown[];
}

/**
 * Times several entries round-robin: `warmup` untimed rounds, then `repeats` rounds that time every
 * entry once, in order, then (with `minTimeMs`) more rounds of the entries whose timed runs add up to
 * less than that. Returns each entry's BenchStats (src/bench/stats), samples and run results, in order.
 */
export async function benchmarkInterleaved(
  entries: readonly InterleavedEntry[],
  options: InterleavedOptions = {},
): Promise<InterleavedResult[]> {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new InvalidArgumentError('entries', entries, 'expected a non-empty array of {id, run}');
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (e === null || typeof e !== 'object' || typeof e.id !== 'string' || e.id === '')
      throw new InvalidArgumentError(`entries[${i}].id`, e?.id, 'expected a non-empty string');
    if (seen.has(e.id))
      throw new InvalidArgumentError(`entries[${i}].id`, e.id, 'expected ids that are unique within the sweep');
    seen.add(e.id);
    if (typeof e.run !== 'function')
      throw new InvalidArgumentError(`entries[${i}].run`, typeof e.run, 'expected a function to time');
  });
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(
      'options',
      options,
      'expected {warmup?, repeats?, minTimeMs?, maxRepeats?, now?, onRound?}',
    );
  const warmup = requireInteger('warmup', options.warmup ?? 1, 0, 1000);
  const repeats = requireInteger('repeats', options.repeats ?? 5, 1, 100_000);
  const minTimeMs = requireFinite('minTimeMs', options.minTimeMs ?? 0, 0);
  const maxRepeats = requireInteger('maxRepeats', options.maxRepeats ?? Math.max(50, repeats), repeats, 100_000);
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function')
    throw new InvalidArgumentError('now', typeof now, 'expected a clock function returning milliseconds');

  const samples: number[][] = entries.map(() => []);
  const results: unknown[][] = entries.map(() => []);
  const totals: number[] = entries.map(() => 0);
  for (let round = 0; ; round++) {
    const all = entries.map((_, i) => i);
    const active =
      round < warmup + repeats ? all : all.filter((i) => totals[i] < minTimeMs && samples[i].length < maxRepeats);
    if (active.length === 0) break;
    for (const i of active) {
      const t0 = now();
      const r = await entries[i].run();
      const ms = now() - t0;
      if (round < warmup) continue;
      samples[i].push(ms);
      totals[i] += ms;
      results[i].push(r);
    }
    if (round >= warmup && options.onRound) options.onRound(round - warmup + 1);
  }
  return entries.map((e, i) => ({
    id: e.id,
    stats: summarizeSamples(samples[i]),
    samplesMs: samples[i],
    results: results[i],
  }));
}
