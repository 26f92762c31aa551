/**
 * Helpers of notebook 04, "Speed benchmarking": a timing sweep over (method, steps, size, batch)
 * with medians and interquartile ranges, speed-ups against a baseline, the per-stage breakdown of the
 * pipeline's own timings, a fixed-cost + per-step-cost line, FLOP counts of ONNX graphs (through
 * models/recipes/count_flops.py) and the compute floor they imply, and panels of published speed
 * figures (one source table per panel).
 */
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError, requireFinite, requireInteger } from '../core/errors.js';
import { summarizeSamples } from '../bench/stats.js';
import { benchmarkInterleaved, type InterleavedOptions } from '../bench/interleaved.js';

// simple-statistics' typings are ESM-only; its CommonJS build loads with require (as in bench/stats.ts).
const { linearRegression, rSquared } = require('simple-statistics') as {
  linearRegression: (data: number[][]) => { m: number; b: number };
  rSquared: (data: number[][], f: (x: number) => number) => number;
};
import { groupedBarChart } from '../plots/barChart.js';
import type { PlotlyFigure } from '../plots/figure.js';
import { packageRoot } from '../core/packageRoot.js';
import { citationText, type PublishedResult } from './published.js';

/** One configuration of a timing sweep: which method, how many steps, what size, how many images per call. */
export interface SpeedConfig {
  /** Label of the sampling method, e.g. 'DPM-Solver++' or 'LCM' (the generate function maps it to a model). */
  method: string;
  steps: number;
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels (default: width). */
  height?: number;
  /** Images per generate call (default 1). */
  batch?: number;
}

/** Medians of the pipeline's own stage timings over the timed runs of one configuration, milliseconds. */
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

/** One measured row of a sweep. */
export interface SpeedRow {
  method: string;
  steps: number;
  width: number;
  height: number;
  batch: number;
  /** Median wall time of one generate call (all `batch` images). */
  medianMs: number;
  /** Interquartile range of the call times (type 7 quartiles, as src/bench). */
  iqrMs: number;
  q1Ms: number;
  q3Ms: number;
  /** Timed calls. */
  n: number;
  /** medianMs / batch. */
  msPerImage: number;
  /** iqrMs / batch. */
  iqrMsPerImage: number;
  /** 60 000 / msPerImage. */
  imagesPerMinute: number;
  /** Present when the generate function returned the pipeline's `timings`. */
  breakdown?: StageBreakdown;
}

/** What a sweep's generate function may return: the pipeline's GenerateResult has these timings. */
export interface SpeedGenerateResult {
  timings?: {
    tokenizerMs?: number;
    textEncoderMs?: number;
    unetMs?: number[] | number;
    schedulerMs?: number;
    vaeMs?: number;
    pngMs?: number;
  };
}

/** Options of timeSweep: those of src/bench's benchmarkInterleaved (warmup, repeats, minTimeMs, maxRepeats, now, onRound). */
export type TimeSweepOptions = InterleavedOptions;

function checkConfig(c: SpeedConfig, i: number): Required<SpeedConfig> {
  const field = `configs[${i}]`;
  if (c === null || typeof c !== 'object')
    throw new InvalidArgumentError(field, c, 'expected {method, steps, width, height?, batch?}');
  if (typeof c.method !== 'string' || c.method.trim() === '')
    throw new InvalidArgumentError(`${field}.method`, c.method, 'expected a non-empty method label');
  const steps = requireInteger(`${field}.steps`, c.steps, 1, 1000);
  const width = requireInteger(`${field}.width`, c.width, 1);
  const height = requireInteger(`${field}.height`, c.height ?? width, 1);
  const batch = requireInteger(`${field}.batch`, c.batch ?? 1, 1, 64);
  return { method: c.method, steps, width, height, batch };
}

const configKey = (c: Required<SpeedConfig>) => `${c.method}|${c.steps}|${c.width}x${c.height}|${c.batch}`;

function median(values: number[]): number {
  return summarizeSamples(values).medianMs;
}

function sumUnet(u: number[] | number | undefined): number {
  if (typeof u === 'number') return u;
  return Array.isArray(u) ? u.reduce((a, b) => a + b, 0) : NaN;
}

/** Median stage times of a configuration's timed runs and its median wall time (see StageBreakdown). */
export function stageBreakdown(
  results: readonly SpeedGenerateResult[],
  wallMedianMs: number,
): StageBreakdown | undefined {
  const timed = results.filter(
    (r) => r !== null && typeof r === 'object' && r.timings !== undefined && r.timings !== null,
  );
  if (timed.length === 0) return undefined;
  const med = (pick: (t: NonNullable<SpeedGenerateResult['timings']>) => number) => {
    const v = timed.map((r) => pick(r.timings!)).filter((x) => Number.isFinite(x) && x >= 0);
    return v.length === 0 ? 0 : median(v);
  };
  const textEncoderMs = med((t) => (t.tokenizerMs ?? 0) + (t.textEncoderMs ?? 0));
  const unetMs = med((t) => sumUnet(t.unetMs));
  const schedulerMs = med((t) => t.schedulerMs ?? 0);
  const vaeMs = med((t) => t.vaeMs ?? 0);
  const pngMs = med((t) => t.pngMs ?? 0);
  const otherMs = Math.max(0, wallMedianMs - (textEncoderMs + unetMs + schedulerMs + vaeMs + pngMs));
  return { textEncoderMs, unetMs, schedulerMs, vaeMs, pngMs, otherMs };
}

/**
 * Times every configuration with `generate`, interleaved: `warmup` untimed rounds, then `repeats`
 * rounds that each time every configuration once, in order (a shared machine's slow spell then
 * spreads over all configurations instead of spoiling one), then, with `minTimeMs`, more rounds of
 * the configurations whose timed runs add up to less than that. Each row carries the median and IQR of
 * the call times (src/bench's summarizeSamples), the per-image time and images per minute, and,
 * when `generate` returns the pipeline's timings, the median stage breakdown.
 */
export async function timeSweep(
  configs: readonly SpeedConfig[],
  generate: (config: Required<SpeedConfig>) => Promise<SpeedGenerateResult | unknown> | SpeedGenerateResult | unknown,
  options: TimeSweepOptions = {},
): Promise<SpeedRow[]> {
  if (!Array.isArray(configs) || configs.length === 0)
    throw new InvalidArgumentError(
      'configs',
      configs,
      'expected a non-empty array of {method, steps, width, height?, batch?}',
    );
  if (typeof generate !== 'function')
    throw new InvalidArgumentError('generate', typeof generate, 'expected a function (config) => GenerateResult');
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options', options, 'expected {warmup?, repeats?, now?, onRound?}');
  const checked = configs.map(checkConfig);
  const seen = new Set<string>();
  checked.forEach((c, i) => {
    const key = configKey(c);
    if (seen.has(key))
      throw new InvalidArgumentError(`configs[${i}]`, key, 'expected each (method, steps, size, batch) once');
    seen.add(key);
  });
  const timed = await benchmarkInterleaved(
    checked.map((c) => ({ id: configKey(c), run: () => generate(c) })),
    options,
  );
  return checked.map((c, i) => {
    const s = timed[i].stats;
    const msPerImage = s.medianMs / c.batch;
    const row: SpeedRow = {
      ...c,
      medianMs: s.medianMs,
      iqrMs: s.iqrMs,
      q1Ms: s.q1Ms,
      q3Ms: s.q3Ms,
      n: s.n,
      msPerImage,
      iqrMsPerImage: s.iqrMs / c.batch,
      imagesPerMinute: msPerImage > 0 ? 60_000 / msPerImage : Infinity,
    };
    const breakdown = stageBreakdown(timed[i].results as SpeedGenerateResult[], s.medianMs);
    if (breakdown) row.breakdown = breakdown;
    return row;
  });
}

/** Which row is the baseline of a speed-up: method and steps, and optionally size and batch. */
export interface SpeedBaseline {
  method: string;
  steps: number;
  width?: number;
  batch?: number;
}

/** The rows that match `filter` (every given field equal), in order. */
export function speedRowsWhere(
  rows: readonly SpeedRow[],
  filter: Partial<Pick<SpeedRow, 'method' | 'steps' | 'width' | 'height' | 'batch'>>,
): SpeedRow[] {
  if (!Array.isArray(rows)) throw new InvalidArgumentError('rows', rows, 'expected an array of SpeedRow');
  const keys = Object.keys(filter) as (keyof typeof filter)[];
  return rows.filter((r) => keys.every((k) => filter[k] === undefined || r[k] === filter[k]));
}

/**
 * Speed-up of every row over the baseline row, per image: baseline.msPerImage / row.msPerImage
 * (2 means twice as fast). The baseline must match exactly one row (give width/batch when the
 * method and steps occur at several sizes or batch sizes).
 */
export function speedUp(rows: readonly SpeedRow[], baseline: SpeedBaseline): (SpeedRow & { speedUp: number })[] {
  if (baseline === null || typeof baseline !== 'object')
    throw new InvalidArgumentError('baseline', baseline, 'expected {method, steps, width?, batch?}');
  const matches = speedRowsWhere(rows, {
    method: baseline.method,
    steps: baseline.steps,
    width: baseline.width,
    batch: baseline.batch,
  });
  if (matches.length !== 1) {
    const what = `${baseline.method} ${baseline.steps} steps${baseline.width ? ` ${baseline.width} px` : ''}${baseline.batch ? ` batch ${baseline.batch}` : ''}`;
    throw new InvalidArgumentError(
      'baseline',
      what,
      matches.length === 0
        ? `a configuration in the rows (have: ${rows.map((r) => `${r.method} ${r.steps}@${r.width}px b${r.batch}`).join(', ')})`
        : `one matching row, found ${matches.length}: add width and batch`,
    );
  }
  const base = matches[0].msPerImage;
  return rows.map((r) => ({ ...r, speedUp: base / r.msPerImage }));
}

/** A straight line ms = fixedMs + msPerStep * steps through measured times, and how well it fits. */
export interface SpeedLineFit {
  /** Cost paid once per image whatever the step count (text encoder, VAE, PNG, set-up). */
  fixedMs: number;
  /** Cost of one more step. */
  msPerStep: number;
  /** Coefficient of determination of the fit (1: perfectly linear). */
  r2: number;
}

/** Ordinary least squares of median time on steps (simple-statistics), with r²; needs at least two distinct step counts. */
export function speedLineFit(steps: readonly number[], ms: readonly number[]): SpeedLineFit {
  if (!Array.isArray(steps) || !Array.isArray(ms) || steps.length !== ms.length) {
    throw new InvalidArgumentError(
      'steps/ms',
      `${(steps as unknown[])?.length}/${(ms as unknown[])?.length}`,
      'expected two arrays of equal length',
    );
  }
  steps.forEach((s, i) => requireFinite(`steps[${i}]`, s, 0));
  ms.forEach((m, i) => requireFinite(`ms[${i}]`, m, 0));
  if (new Set(steps).size < 2)
    throw new InvalidArgumentError('steps', steps, 'expected at least two distinct step counts');
  const points = steps.map((s, i) => [s, ms[i]]);
  const { m, b } = linearRegression(points);
  const flat = ms.every((v) => v === ms[0]);
  return { fixedMs: b, msPerStep: m, r2: flat ? 1 : rSquared(points, (x) => b + m * x) };
}

/**
 * The sizes of a resolution sweep: native/2, native, 1.5 native and 2 native, rounded to a multiple
 * of `multiple` (16 px: a VAE factor 8 times one 2x down-sampling in the UNet), kept within
 * [minSize, maxSize], without repeats, ascending.
 */
export function sweepSizes(nativeSize: number, minSize: number, maxSize: number, multiple = 16): number[] {
  const native = requireInteger('nativeSize', nativeSize, 1);
  const lo = requireInteger('minSize', minSize, 1);
  const hi = requireInteger('maxSize', maxSize, lo);
  const m = requireInteger('multiple', multiple, 1);
  const sizes = [0.5, 1, 1.5, 2]
    .map((f) => Math.max(m, Math.round((native * f) / m) * m))
    .filter((s) => s >= lo && s <= hi);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/**
 * Lower bound on the time of `flops` floating-point operations at a peak of `peakTflops` TFLOP/s,
 * in milliseconds: flops / (peak * 1e12) * 1000. No real run reaches it (memory traffic, kernel
 * launches and non-matrix work come on top); it says how far from the hardware's limit a time is.
 */
export function computeFloorMs(flops: number, peakTflops: number): number {
  requireFinite('flops', flops, 0);
  const peak = requireFinite('peakTflops', peakTflops, 0);
  if (peak === 0) throw new InvalidArgumentError('peakTflops', peakTflops, 'expected a peak > 0 TFLOP/s');
  return (flops / (peak * 1e12)) * 1000;
}

/** The shapes to pin when counting one UNet evaluation: `rows` rows (2 x batch under classifier-free guidance). */
export interface UnetFlopShapeOptions {
  rows: number;
  latentChannels: number;
  latentHeight: number;
  latentWidth: number;
  /** Text tokens, used when encoder_hidden_states' sequence dimension is symbolic (default 77). */
  textLength?: number;
  /** Width of timestep_cond (LCM), used when its dimension is symbolic (default 256). */
  timeCondDim?: number;
}

/**
 * Concrete input shapes of one UNet evaluation from the session's input specs (name and shape, numbers
 * fixed, strings symbolic): sample [rows, C, h, w], timestep with every dimension 1 (a scalar stays
 * []), encoder_hidden_states [rows, tokens, width], timestep_cond [rows, dim]. Throws when another
 * input has a symbolic dimension this function cannot fill.
 */
export function unetFlopShapes(
  inputs: readonly { name: string; shape: ReadonlyArray<number | string> }[],
  o: UnetFlopShapeOptions,
): Record<string, number[]> {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new InvalidArgumentError('inputs', inputs, "expected the UNet session's input specs");
  const rows = requireInteger('rows', o?.rows, 1);
  const c = requireInteger('latentChannels', o.latentChannels, 1);
  const h = requireInteger('latentHeight', o.latentHeight, 1);
  const w = requireInteger('latentWidth', o.latentWidth, 1);
  const textLength = requireInteger('textLength', o.textLength ?? 77, 1);
  const timeCondDim = requireInteger('timeCondDim', o.timeCondDim ?? 256, 1);
  const out: Record<string, number[]> = {};
  const fill = (spec: { name: string; shape: ReadonlyArray<number | string> }, wanted: number[]) =>
    spec.shape.map((d, k) => (typeof d === 'number' && d > 0 ? d : wanted[k]));
  for (const spec of inputs) {
    const shape = spec.shape;
    let dims: (number | undefined)[];
    if (spec.name === 'sample') dims = fill(spec, [rows, c, h, w]);
    else if (spec.name === 'timestep')
      dims = fill(
        spec,
        shape.map(() => 1),
      );
    else if (spec.name === 'encoder_hidden_states') dims = fill(spec, [rows, textLength, NaN]);
    else if (spec.name === 'timestep_cond') dims = fill(spec, [rows, timeCondDim]);
    else dims = fill(spec, []);
    if (dims.some((d) => d === undefined || !Number.isInteger(d) || (d as number) < 1)) {
      throw new InvalidArgumentError(
        `inputs.${spec.name}`,
        `[${shape.join(', ')}]`,
        'fixed dimensions, or the symbolic ones of sample, timestep, encoder_hidden_states (batch, sequence) and timestep_cond',
      );
    }
    out[spec.name] = dims as number[];
  }
  return out;
}

/** FLOPs of one evaluation of an ONNX graph, as counted by models/recipes/count_flops.py. */
export interface OnnxFlopCount {
  /** Multiply-accumulates of Conv, ConvTranspose, MatMul, Gemm and Einsum nodes. */
  macs: number;
  /** 2 x macs. */
  flops: number;
  /** MACs per counted op type. */
  perOp: Record<string, number>;
  inputs: Record<string, number[]>;
}

/** Options of countOnnxFlops. */
export interface CountOnnxFlopsOptions {
  /** Python with numpy and onnx (default /usr/bin/python3, Debian's, which has python3-onnx). */
  python?: string;
  /** The counting script (default models/recipes/count_flops.py of this package). */
  script?: string;
  /** Seconds before the count is abandoned (default 60). */
  timeoutS?: number;
}

/** The package's models/recipes/count_flops.py. */
function defaultFlopCounter(): string {
  return path.join(packageRoot(), 'models', 'recipes', 'count_flops.py');
}

/**
 * Counts the multiply-accumulates of one evaluation of `modelFile` with the given input shapes by
 * running models/recipes/count_flops.py (ONNX shape inference; checked against SD 1.5's published
 * 0.80 TFLOP). Throws MissingResourceError when Python, onnx or the script is missing, and
 * InvalidArgumentError for bad arguments or a graph the counter cannot resolve.
 */
export function countOnnxFlops(
  modelFile: string,
  inputs: Record<string, readonly number[]>,
  options: CountOnnxFlopsOptions = {},
): OnnxFlopCount {
  if (typeof modelFile !== 'string' || !nodeFs.existsSync(modelFile))
    throw new InvalidArgumentError('modelFile', modelFile, 'expected an existing .onnx file');
  if (inputs === null || typeof inputs !== 'object' || Object.keys(inputs).length === 0)
    throw new InvalidArgumentError('inputs', inputs, 'expected {inputName: [dims...]} for the data inputs');
  const args: string[] = [];
  for (const [name, dims] of Object.entries(inputs)) {
    if (!/^[A-Za-z0-9_.:/-]+$/.test(name))
      throw new InvalidArgumentError('inputs', name, 'expected input names of letters, digits and _ . : / -');
    if (!Array.isArray(dims)) throw new InvalidArgumentError(`inputs.${name}`, dims, 'expected an array of dimensions');
    dims.forEach((d, k) => requireInteger(`inputs.${name}[${k}]`, d, 1));
    if (dims.length > 0) args.push('--input', `${name}=${dims.join(',')}`);
  }
  const python = options.python ?? '/usr/bin/python3';
  const script = options.script ?? defaultFlopCounter();
  const timeoutS = requireFinite('timeoutS', options.timeoutS ?? 60, 1);
  if (!nodeFs.existsSync(script)) throw new MissingResourceError(script, `the FLOP counter ${script} is missing`);
  if (!nodeFs.existsSync(python))
    throw new MissingResourceError(
      python,
      `counting FLOPs needs ${python} with numpy and onnx (Debian: apt-get install python3-onnx)`,
    );
  const out = path.join(nodeFs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-flops-')), 'count.json');
  try {
    const r = spawnSync(python, [script, modelFile, ...args, '--json', out], {
      encoding: 'utf8',
      timeout: timeoutS * 1000,
    });
    if (r.error) throw new MissingResourceError(python, `could not run ${python}: ${r.error.message}`);
    if (r.status !== 0) {
      const text = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
      if (/No module named/.test(text))
        throw new MissingResourceError(python, `counting FLOPs needs numpy and onnx in ${python}: ${text}`);
      throw new InvalidArgumentError(
        'modelFile',
        modelFile,
        `a graph count_flops.py can count with inputs ${JSON.stringify(inputs)} (it said: ${text})`,
      );
    }
    const j = JSON.parse(nodeFs.readFileSync(out, 'utf8')) as {
      macs: number;
      flops: number;
      per_op: Record<string, { macs: number }>;
      inputs: Record<string, number[]>;
    };
    const perOp: Record<string, number> = {};
    for (const [op, v] of Object.entries(j.per_op ?? {})) perOp[op] = v.macs;
    return { macs: j.macs, flops: j.flops, perOp, inputs: j.inputs };
  } finally {
    nodeFs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/**
 * One chart per published table and metric: grouped bars, one category per method (with its step
 * count when the table has several), one group per hardware, titled with the paper and protocol and
 * labelled 'published' with the citation. Never mixes tables or metrics.
 */
export function publishedSpeedPanel(rows: readonly PublishedResult[], table: string, metric?: string): PlotlyFigure {
  if (!Array.isArray(rows))
    throw new InvalidArgumentError('rows', rows, 'expected the rows of data/published-results.json');
  const inTable = rows.filter((r) => r.table === table);
  if (inTable.length === 0)
    throw new InvalidArgumentError(
      'table',
      table,
      `a table id of the rows (have: ${[...new Set(rows.map((r) => r.table))].join(', ')})`,
    );
  const metrics = [...new Set(inTable.map((r) => r.metric))];
  if (metric === undefined && metrics.length > 1)
    throw new InvalidArgumentError('metric', metric, `one of ${metrics.join(', ')} (table ${table} has several)`);
  const chosen = metric ?? metrics[0];
  const picked = inTable.filter((r) => r.metric === chosen);
  if (picked.length === 0) throw new InvalidArgumentError('metric', metric, `one of ${metrics.join(', ')}`);
  const stepCounts = new Set(picked.map((r) => r.steps));
  const category = (r: PublishedResult) =>
    stepCounts.size > 1 ? `${r.method}, ${r.steps} step${r.steps === 1 ? '' : 's'}` : r.method;
  const categories = [...new Set(picked.map(category))];
  const hardware = [...new Set(picked.map((r) => r.hardware ?? 'unspecified hardware'))];
  const groups = hardware.map((hw) => ({
    name: hw,
    values: categories.map((cat) => {
      const hit = picked.filter((r) => (r.hardware ?? 'unspecified hardware') === hw && category(r) === cat);
      return hit.length > 0 ? hit[0].value : NaN;
    }),
  }));
  const first = picked[0];
  return groupedBarChart({
    title: `${first.paper}: ${chosen} (${first.unit}); ${first.protocol}`,
    categories,
    groups,
    yTitle: `${chosen} (${first.unit})`,
    provenance: 'published',
    source: citationText(first),
  });
}
