/**
 * `npm run bench`: measured speed numbers for the course, printed (and optionally saved as JSON).
 *
 *   npm run bench -- [pareto|scheduler|notebooks|pipeline|all] [--json out/bench.json] [--repeats 5] [--quick]
 *
 * pareto     paretoFront on 10^6 seeded points (median over repeats), and its speed-up over the
 *            O(n^2) reference oracle at 10^4 points, measured in the same run; each on a random
 *            cloud and on a set whose every point is on the front (the worst case for both).
 * scheduler  one sampler step per latent element (ns/element) for every scheduler class, on a
 *            4x64x64 latent; a class that throws is reported and skipped.
 * notebooks  delegates to dist/cli/benchNotebooks.js (benchNotebooks()) when it is built.
 * pipeline   delegates to dist/cli/benchPipeline.js (benchPipeline()) when it is built.
 * all        pareto + scheduler (notebooks and pipeline only when named: they run notebooks/models).
 * --quick    small sizes (smoke test); --repeats overrides the timed runs of the Pareto benches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineCli, parseCli, parseIntegerArg, runCli } from './args.js';
import { requireOneOf } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { benchmarkSync } from '../bench/benchmark.js';
import { type BenchRecord, benchRecord, machineInfo, softwareVersions } from '../bench/record.js';
import { paretoFrontIndices } from '../pareto/front.js';
import { paretoFrontNaiveIndices } from '../pareto/naive.js';
import type { ParetoPoint } from '../pareto/types.js';
import { writeFileAtomicSync } from '../core/atomicFile.js';

export const BENCH_SUITES = ['pareto', 'scheduler', 'notebooks', 'pipeline', 'all'] as const;
export type BenchSuite = (typeof BENCH_SUITES)[number];

/** Sizes and repeats of one bench run. */
export interface BenchCliSettings {
  paretoPoints: number;
  naivePoints: number;
  repeats: number;
  latentShape: [number, number, number];
  steps: number;
}

export const FULL_SETTINGS: BenchCliSettings = {
  paretoPoints: 1_000_000,
  naivePoints: 10_000,
  repeats: 5,
  latentShape: [4, 64, 64],
  steps: 10,
};
export const QUICK_SETTINGS: BenchCliSettings = {
  paretoPoints: 20_000,
  naivePoints: 1_000,
  repeats: 2,
  latentShape: [4, 16, 16],
  steps: 4,
};

const fmt = (x: number, digits = 3): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(digits));

/**
 * Seeded random points for the Pareto benchmark: cost ~ U(0, 1), quality = 1 - exp(-4 cost) plus
 * N(0, 0.1^2) noise, a diminishing-returns cloud like steps vs score.
 */
export function randomParetoCloud(n: number, seed: number): ParetoPoint[] {
  const rng = new Rng(seed);
  const points: ParetoPoint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const cost = rng.uniform1();
    points[i] = { cost, quality: 1 - Math.exp(-4 * cost) + 0.1 * rng.normal1() };
  }
  return points;
}

/**
 * Seeded points that all lie on the front (cost i, quality sqrt(i)), shuffled: the worst case for
 * both the pivot thinning of paretoFront and the early exit of the naive oracle.
 */
export function allOnFrontCloud(n: number, seed: number): ParetoPoint[] {
  const rng = new Rng(seed);
  const points: ParetoPoint[] = Array.from({ length: n }, (_, i) => ({ cost: i, quality: Math.sqrt(i) }));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform1() * (i + 1));
    const t = points[i];
    points[i] = points[j];
    points[j] = t;
  }
  return points;
}

const PARETO_SETS: [string, (n: number, seed: number) => ParetoPoint[]][] = [
  ['random cloud', randomParetoCloud],
  ['all on the front', allOnFrontCloud],
];

/** Pareto benchmarks: the O(n log n) front at `paretoPoints`, and fast vs naive at `naivePoints`, on both point sets. */
export function benchPareto(settings: BenchCliSettings, log: (line: string) => void = console.log): BenchRecord[] {
  const records: BenchRecord[] = [];
  for (const [label, make] of PARETO_SETS) {
    const big = make(settings.paretoPoints, 1);
    let frontSize = 0;
    const bigStats = benchmarkSync(() => (frontSize = paretoFrontIndices(big).length), {
      warmup: 1,
      repeats: settings.repeats,
    });
    log(
      `pareto  ${label}, n = ${settings.paretoPoints}: paretoFront median ${fmt(bigStats.medianMs)} ms ` +
        `(IQR ${fmt(bigStats.q1Ms)}-${fmt(bigStats.q3Ms)}, ${bigStats.n} runs), front size ${frontSize}`,
    );
    records.push(
      benchRecord(
        'pareto.front',
        { set: label, n: settings.paretoPoints, repeats: settings.repeats, frontSize },
        bigStats,
      ),
    );
  }
  for (const [label, make] of PARETO_SETS) {
    const small = make(settings.naivePoints, 2);
    const fast = paretoFrontIndices(small)
      .slice()
      .sort((a, b) => a - b);
    const naive = paretoFrontNaiveIndices(small);
    const agree = fast.length === naive.length && fast.every((v, i) => v === naive[i]);
    if (!agree) throw new Error(`paretoFront and the naive oracle disagree on the ${label} benchmark set`);
    const fastStats = benchmarkSync(() => paretoFrontIndices(small), { warmup: 2, repeats: settings.repeats * 4 });
    const naiveStats = benchmarkSync(() => paretoFrontNaiveIndices(small), { warmup: 1, repeats: settings.repeats });
    const speedup = naiveStats.medianMs / fastStats.medianMs;
    log(
      `pareto  ${label}, n = ${settings.naivePoints}: paretoFront ${fmt(fastStats.medianMs)} ms, naive O(n^2) oracle ` +
        `${fmt(naiveStats.medianMs)} ms -> speed-up x${fmt(speedup)} (medians; fronts agree, size ${fast.length})`,
    );
    records.push(
      benchRecord('pareto.front.vsNaive', { set: label, n: settings.naivePoints, repeats: fastStats.n }, fastStats),
    );
    records.push(
      benchRecord(
        'pareto.naive',
        { set: label, n: settings.naivePoints, repeats: naiveStats.n, speedupOfFront: speedup },
        naiveStats,
      ),
    );
  }
  return records;
}

/** One sampler step per latent element, for every scheduler class the registry knows (stochastic samplers include drawing their N(0, I) noise, which dominates their time). */
export async function benchSchedulers(
  settings: BenchCliSettings,
  log: (line: string) => void = console.log,
): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  let registry: typeof import('../samplers/registry.js');
  try {
    registry = await import('../samplers/registry.js');
  } catch (err) {
    log(`scheduler  the sampler registry did not load: ${(err as Error).message}`);
    return records;
  }
  const [c, h, w] = settings.latentShape;
  const n = c * h * w;
  const rng = new Rng(3);
  const sample = rng.normal(n);
  const modelOutput = rng.normal(n);
  for (const className of registry.SCHEDULER_CLASSES) {
    try {
      const scheduler = registry.createScheduler({ _class_name: className });
      scheduler.setTimesteps(settings.steps);
      const noise = new Rng(4);
      // Time step 1 with step 0's history, so multistep solvers take their usual (higher-order) path.
      const first = scheduler.step(modelOutput, 0, sample, { noise });
      const stepIndex = Math.min(1, scheduler.timesteps.length - 1);
      const stats = benchmarkSync(
        () => scheduler.step(modelOutput, stepIndex, first.prevSample, { state: first.state, noise }),
        {
          warmup: 3,
          repeats: Math.max(5, settings.repeats * 4),
          minTimeMs: 200,
          maxRepeats: 2000,
        },
      );
      const nsPerElement = (stats.medianMs * 1e6) / n;
      log(
        `scheduler  ${className.padEnd(32)} ${fmt(nsPerElement)} ns/element (median ${fmt(stats.medianMs)} ms per step on ${c}x${h}x${w}, ${stats.n} runs)`,
      );
      records.push(
        benchRecord(
          `scheduler.step.${className}`,
          { className, latentShape: settings.latentShape, steps: settings.steps, stepIndex, nsPerElement },
          stats,
        ),
      );
    } catch (err) {
      log(`scheduler  ${className.padEnd(32)} failed: ${(err as Error).message}`);
    }
  }
  return records;
}

/**
 * Runs `exportName()` of a sibling bench module (another helper's CLI, e.g. dist/cli/benchNotebooks.js)
 * when it is built, and returns its records if it returns an array (those modules print their own
 * results). Reports and skips a module that is missing or lacks the export.
 */
export async function benchModuleHook(
  suite: string,
  file: string,
  exportName: string,
  log: (line: string) => void = console.log,
): Promise<BenchRecord[]> {
  if (!fs.existsSync(file)) {
    log(`${suite}  skipped: ${path.relative(process.cwd(), file)} is not built`);
    return [];
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    log(`${suite}  skipped: ${file} exports no ${exportName}()`);
    return [];
  }
  const result: unknown = await (fn as () => unknown)();
  return Array.isArray(result) ? (result as BenchRecord[]) : [];
}

/** The `notebooks` hook: dist/cli/benchNotebooks.js's benchNotebooks(), when it is built. */
export function benchNotebooksHook(
  log: (line: string) => void = console.log,
  file: string = path.join(__dirname, 'benchNotebooks.js'),
): Promise<BenchRecord[]> {
  return benchModuleHook('notebooks', file, 'benchNotebooks', log);
}

/** The `pipeline` hook: dist/cli/benchPipeline.js's benchPipeline(), when it is built. */
export function benchPipelineHook(
  log: (line: string) => void = console.log,
  file: string = path.join(__dirname, 'benchPipeline.js'),
): Promise<BenchRecord[]> {
  return benchModuleHook('pipeline', file, 'benchPipeline', log);
}

/** The command line of `npm run bench`. */
export const BENCH_CLI = defineCli({
  command: 'npm run bench --',
  summary: `Times the library: suites ${BENCH_SUITES.join(', ')} (default all = pareto and scheduler).`,
  positionals: { name: 'suite', value: BENCH_SUITES.join('|'), min: 0, max: 1 },
  options: {
    json: { type: 'string', value: 'file', help: 'also write the records as JSON (e.g. out/bench.json)' },
    repeats: { type: 'string', value: 'N', help: 'timed repeats per case, 1..1000' },
    quick: { type: 'boolean', default: false, help: 'fewer repeats and smaller cases' },
  },
});

/** Parses the command line and runs the chosen suites. Returns the records (also written with --json). */
export async function main(
  argv: string[] = process.argv.slice(2),
  log: (line: string) => void = console.log,
): Promise<BenchRecord[]> {
  const { values, positionals } = parseCli(BENCH_CLI, argv);
  const suite = requireOneOf('suite', positionals[0] ?? 'all', BENCH_SUITES);
  const settings: BenchCliSettings = { ...(values.quick ? QUICK_SETTINGS : FULL_SETTINGS) };
  if (values.repeats !== undefined) settings.repeats = parseIntegerArg('--repeats', values.repeats, 1, 1000);

  const m = machineInfo();
  const v = softwareVersions();
  log(
    `fewstep bench (${suite}${values.quick ? ', quick' : ''}) on ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}; node ${v.node}`,
  );
  const records: BenchRecord[] = [];
  if (suite === 'pareto' || suite === 'all') records.push(...benchPareto(settings, log));
  if (suite === 'scheduler' || suite === 'all') records.push(...(await benchSchedulers(settings, log)));
  if (suite === 'notebooks') records.push(...(await benchNotebooksHook(log)));
  if (suite === 'pipeline') records.push(...(await benchPipelineHook(log)));
  if (values.json !== undefined) {
    const out = path.resolve(values.json);
    writeFileAtomicSync(out, JSON.stringify({ suite, settings, records }, null, 1) + '\n');
    log(`wrote ${records.length} records to ${path.relative(process.cwd(), out)}`);
  }
  return records;
}

if (require.main === module) {
  runCli('bench', async () => {
    await main();
  });
}
