/**
 * `npm run bench:gpu`: GPU (and CPU) speed of the ONNX pipeline, recorded as JSON in data/.
 *
 *   npm run bench:gpu -- [--device auto|cpu|cuda] [--model DIR]... [--sd-scale DIR] [--quick]
 *                        [--parts model,sd] [--out FILE] [--steps 1,4,8,50] [--batches 1,4,16]
 *
 * (a) shipped model (default models/scenes-lcm and models/scenes-teacher when present, else
 *     models/fixtures/tiny-lcm): per-UNet-call latency and images/s at each steps x batch, on each
 *     provider (auto: CUDA and CPU when CUDA loads, else CPU); from the same runs, (c) the
 *     pipeline's overhead outside session.run: wall - session.run - PNG encoding, in ms and as a
 *     fraction of wall (the definition of src/cli/benchPipeline.ts, which is CPU-only).
 * (b) SD-scale UNet (models/recipes/sd_scale_unet.py; default models/recipes/.work/sd-scale):
 *     unet-fp16.onnx and unet-fp32.onnx at batch 1 and 2 (2 = one guided step), latency of one
 *     session.run with prepared tensors (median/IQR of src/bench's benchmark), TFLOP/s from the
 *     counted FLOPs in flops.json beside the models, and the fraction of the GPU's dense fp16 peak.
 *
 * Everything is printed and written to `data/gpu-bench-<date>-<host>.json` (machine, GPU from
 * nvidia-smi, versions, settings, rows). `--device cpu --quick` is the CPU dry run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineCli, parseCli, runCli } from './args.js';
import * as ort from 'onnxruntime-node';
import { InvalidArgumentError, requireOneOf } from '../core/errors.js';
import { benchmark } from '../bench/benchmark.js';
import { machineInfo, softwareVersions, type MachineInfo } from '../bench/record.js';
import type { BenchStats } from '../bench/stats.js';
import { cudaProviderStatus, defaultOrtRoot } from '../onnx/cudaSetup.js';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import { loadPipeline, orchestrationOverhead, unetEvaluationsPerStep } from '../onnx/pipeline.js';
import { chooseProvider, ONNX_DEVICES, type ExecutionProviderName, type OnnxDevice } from '../onnx/providers.js';
import { OnnxModel, type OnnxFeed } from '../onnx/session.js';
import { Rng } from '../core/rng.js';
import { packageRoot } from '../core/packageRoot.js';
import { writeFileAtomicSync } from '../core/atomicFile.js';

/**
 * Dense (no sparsity) fp16 tensor-core peaks in TFLOP/s, from NVIDIA's datasheets, which print the
 * sparse figure (2x) with an asterisk: H100 SXM 1,979* -> 989 (H100 PCIe 1,513* -> 756; "NVIDIA H100
 * Tensor Core GPU" datasheet); H200 1,979* -> 989 ("NVIDIA H200 Tensor Core GPU" datasheet); A100
 * 312 (624 sparse; "NVIDIA A100 Tensor Core GPU" datasheet, SXM and PCIe alike); T4 65 ("NVIDIA T4"
 * datasheet, mixed precision FP16/FP32). First matching pattern wins.
 */
export const FP16_DENSE_PEAK_TFLOPS: readonly { pattern: RegExp; gpu: string; tflops: number }[] = [
  { pattern: /H200/i, gpu: 'H200', tflops: 989 },
  { pattern: /H100.*PCIe/i, gpu: 'H100 PCIe', tflops: 756 },
  { pattern: /H100/i, gpu: 'H100 SXM', tflops: 989 },
  { pattern: /A100/i, gpu: 'A100', tflops: 312 },
  { pattern: /\bT4\b/i, gpu: 'T4', tflops: 65 },
];

/** The dense fp16 peak for a GPU name as nvidia-smi prints it, or undefined when not in the table. */
export function fp16PeakFor(gpuName: string | undefined): { gpu: string; tflops: number } | undefined {
  if (!gpuName) return undefined;
  const hit = FP16_DENSE_PEAK_TFLOPS.find((p) => p.pattern.test(gpuName));
  return hit ? { gpu: hit.gpu, tflops: hit.tflops } : undefined;
}

/** One GPU as nvidia-smi reports it. */
export interface GpuInfo {
  name: string;
  driver: string;
  memoryMiB: number;
}

/** Parses `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const [name, driver, mem] = l.split(',').map((s) => s.trim());
      return { name, driver: driver ?? '', memoryMiB: Number(mem) };
    });
}

function queryGpus(): GpuInfo[] {
  try {
    const out = execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 },
    );
    return parseNvidiaSmi(out);
  } catch {
    return [];
  }
}

/** Achieved TFLOP/s of `flops` done in `ms`, and its fraction of `peakTflops` (undefined without a peak). */
export function achieved(
  flops: number,
  ms: number,
  peakTflops?: number,
): { tflops: number; fractionOfPeak: number | undefined } {
  if (!(flops >= 0) || !(ms > 0))
    throw new InvalidArgumentError('flops/ms', `${flops}/${ms}`, 'expected flops >= 0 and ms > 0');
  const tflops = flops / (ms / 1000) / 1e12;
  return { tflops, fractionOfPeak: peakTflops ? tflops / peakTflops : undefined };
}

/** `gpu-bench-<YYYY-MM-DD>-<host>[-quick].json`, the host reduced to [A-Za-z0-9._-]. */
export function benchFileName(date: Date, host: string, quick: boolean): string {
  const safeHost = host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';
  return `gpu-bench-${date.toISOString().slice(0, 10)}-${safeHost}${quick ? '-quick' : ''}.json`;
}

/** Parses a comma list of positive integers (`--steps 1,4,8`). */
export function parseIntList(field: string, s: string): number[] {
  const parts = s.split(',').map((x) => x.trim());
  const out = parts.map(Number);
  if (parts.length === 0 || out.some((n, i) => !/^[0-9]+$/.test(parts[i]) || !Number.isSafeInteger(n) || n < 1)) {
    throw new InvalidArgumentError(field, s, 'expected a comma list of positive decimal integers, e.g. 1,4,8');
  }
  return out;
}

/** The folders of `default` shipped models that exist, else the tiny fixture. */
export function defaultBenchModels(root: string = packageRoot()): string[] {
  const shipped = ['scenes-lcm', 'scenes-teacher']
    .map((m) => path.join(root, 'models', m))
    .filter((d) => fs.existsSync(path.join(d, 'model_index.json')));
  return shipped.length > 0 ? shipped : [path.join(root, 'models', 'fixtures', 'tiny-lcm')];
}

/** Versions relevant to the GPU run. */
export function gpuVersions(): Record<string, unknown> {
  let provider: { dir: string; present: string[]; missing: string[] } | string;
  try {
    provider = cudaProviderStatus(defaultOrtRoot());
  } catch (e) {
    provider = (e as Error).message;
  }
  const libs: string[] = [];
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names)
      if (/^lib(cudart|cublas|cublasLt|cudnn|curand)\.so\.\d+$/.test(n)) libs.push(fs.realpathSync(path.join(dir, n)));
  }
  return {
    ...softwareVersions(),
    onnxruntimeNative: (ort.env.versions as Record<string, string> | undefined)?.node ?? null,
    cudaProvider: provider,
    cudaLibraries: libs,
  };
}

export interface ModelRow {
  model: string;
  family: string;
  provider: ExecutionProviderName;
  steps: number;
  batch: number;
  /** UNet rows per call (2 x batch under classifier-free guidance). */
  unetRows: number;
  unetCallsPerImageBatch: number;
  /** Median over repeats of the median UNet call of each generate(). */
  unetCallMs: number;
  wall: BenchStats;
  imagesPerSecond: number;
  /** Median over repeats of wall - session.run - PNG encoding. */
  overheadMs: number;
  overheadFraction: number;
  pngMs: number;
  error?: string;
}

export interface SdScaleRow {
  file: string;
  dtype: 'fp16' | 'fp32';
  provider: ExecutionProviderName;
  batch: number;
  flops: number | null;
  /** session.run with prepared ort.Tensors (inputs copied host -> device and output back). */
  run: BenchStats;
  /** OnnxModel.run: validation, fp32 <-> fp16 conversion in JavaScript, then session.run. */
  onnxModelRunMs: number;
  tflops: number | null;
  fractionOfFp16Peak: number | null;
  sessionCreateMs: number;
  error?: string;
}

export interface GpuBenchRecord {
  name: 'gpu-bench';
  date: string;
  machine: MachineInfo & { gpus: GpuInfo[]; fp16PeakTflops: number | null; peakSource: string };
  versions: Record<string, unknown>;
  settings: Record<string, unknown>;
  providers: { device: OnnxDevice; used: ExecutionProviderName[]; reason: string };
  models: ModelRow[];
  sdScale: { dir: string; flopsJson: unknown; rows: SdScaleRow[]; skipped?: string };
  anchors: Record<string, string>;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Decides the providers to compare: auto = CUDA (when it loads) and CPU; cpu; cuda. */
export async function resolveProviders(
  device: OnnxDevice,
  probeModel: string,
): Promise<{ used: ExecutionProviderName[]; reason: string }> {
  if (device === 'cpu') return { used: ['cpu'], reason: 'device "cpu" was asked for' };
  const choice = await chooseProvider(device, async (eps) => {
    const s = await ort.InferenceSession.create(probeModel, { executionProviders: eps });
    await s.release();
    return eps;
  });
  if (choice.provider === 'cuda')
    return { used: device === 'cuda' ? ['cuda'] : ['cuda', 'cpu'], reason: choice.reason };
  return { used: ['cpu'], reason: choice.reason };
}

interface Timing {
  warmup: number;
  repeats: number;
  minTimeMs: number;
}

/** (a) + (c): the shipped model's grid on one provider. */
async function benchModel(
  dir: string,
  provider: ExecutionProviderName,
  steps: number[],
  batches: number[],
  t: Timing,
  log: (s: string) => void,
): Promise<ModelRow[]> {
  const pipe = await loadPipeline(dir, { device: provider, log: () => undefined, warn: () => undefined });
  const rows: ModelRow[] = [];
  try {
    for (const batch of batches) {
      for (const n of steps) {
        const base = {
          model: path.relative(process.cwd(), dir) || dir,
          family: pipe.family,
          provider,
          steps: n,
          batch,
        };
        const evaluationsPerStep = unetEvaluationsPerStep(pipe.family, pipe.defaults.guidance);
        const unetCalls: number[] = [];
        const overhead: number[] = [];
        const fraction: number[] = [];
        const png: number[] = [];
        let r = 0;
        try {
          const wall = await benchmark(
            async () => {
              const t0 = performance.now();
              const res = await pipe.generate({
                prompt: 'a red house on a hill at sunset',
                steps: n,
                batchSize: batch,
                seed: 1000 + r++,
              });
              const w = performance.now() - t0;
              unetCalls.push(median(res.timings.unetMs));
              const o = orchestrationOverhead(res.timings, w);
              overhead.push(o.ms);
              fraction.push(o.fraction);
              png.push(res.timings.pngMs);
            },
            { warmup: t.warmup, repeats: t.repeats, minTimeMs: t.minTimeMs, maxRepeats: Math.max(t.repeats, 50) },
          );
          const k = t.warmup; // drop the warm-up runs' numbers
          const row: ModelRow = {
            ...base,
            unetRows: evaluationsPerStep * batch,
            unetCallsPerImageBatch: n,
            unetCallMs: median(unetCalls.slice(k)),
            wall,
            imagesPerSecond: batch / (wall.medianMs / 1000),
            overheadMs: median(overhead.slice(k)),
            overheadFraction: median(fraction.slice(k)),
            pngMs: median(png.slice(k)),
          };
          rows.push(row);
          log(
            `${row.model.padEnd(24)} ${provider.padEnd(4)} steps ${String(n).padStart(2)} batch ${String(batch).padStart(2)}: unet call ${row.unetCallMs.toFixed(2).padStart(8)} ms, ${row.imagesPerSecond.toFixed(2).padStart(8)} img/s, wall ${row.wall.medianMs.toFixed(1)} ms (IQR ${row.wall.iqrMs.toFixed(1)}), overhead ${row.overheadMs.toFixed(2)} ms = ${(100 * row.overheadFraction).toFixed(1)}%`,
          );
        } catch (e) {
          const msg = (e as Error).message.split('\n')[0];
          rows.push({
            ...base,
            unetRows: 0,
            unetCallsPerImageBatch: n,
            unetCallMs: NaN,
            wall: null as unknown as BenchStats,
            imagesPerSecond: NaN,
            overheadMs: NaN,
            overheadFraction: NaN,
            pngMs: NaN,
            error: msg,
          });
          log(`${base.model} ${provider} steps ${n} batch ${batch}: FAILED ${msg}`);
        }
      }
    }
  } finally {
    await pipe.release();
  }
  return rows;
}

/** Reads flops.json written by models/recipes/sd_scale_unet.py; null when absent. */
export function readFlopsJson(dir: string): { flops_per_evaluation: Record<string, number> } | null {
  const f = path.join(dir, 'flops.json');
  if (!fs.existsSync(f)) return null;
  return JSON.parse(fs.readFileSync(f, 'utf8')) as { flops_per_evaluation: Record<string, number> };
}

/** (b): one SD-scale graph on one provider at each batch. */
async function benchSdScale(
  file: string,
  dtype: 'fp16' | 'fp32',
  provider: ExecutionProviderName,
  batches: number[],
  flopsJson: ReturnType<typeof readFlopsJson>,
  peak: number | undefined,
  t: Timing,
  log: (s: string) => void,
): Promise<SdScaleRow[]> {
  const eps = provider === 'cuda' ? ['cuda'] : ['cpu'];
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(file, { executionProviders: eps, graphOptimizationLevel: 'all' });
  const sessionCreateMs = performance.now() - t0;
  const model = await OnnxModel.open(file, { executionProviders: eps, component: `sd-scale ${dtype}` });
  const rows: SdScaleRow[] = [];
  try {
    const rng = new Rng(5);
    for (const batch of batches) {
      const sample = rng.normal(batch * 4 * 64 * 64);
      const ehs = rng.normal(batch * 77 * 768).map((v) => 0.5 * v);
      const timestep = new Float32Array([500]);
      const feeds: Record<string, OnnxFeed> = {
        sample: { data: sample, dims: [batch, 4, 64, 64] },
        timestep: { data: timestep, dims: [1] },
        encoder_hidden_states: { data: ehs, dims: [batch, 77, 768] },
      };
      const tensor = (data: Float32Array, dims: number[]) =>
        dtype === 'fp16'
          ? new ort.Tensor('float16', float32ArrayToFloat16(data), dims)
          : new ort.Tensor('float32', data, dims);
      const ortFeeds = {
        sample: tensor(sample, [batch, 4, 64, 64]),
        timestep: tensor(timestep, [1]),
        encoder_hidden_states: tensor(ehs, [batch, 77, 768]),
      };
      const flops =
        flopsJson?.flops_per_evaluation?.[String(batch)] ??
        (flopsJson?.flops_per_evaluation?.['1'] ? batch * flopsJson.flops_per_evaluation['1'] : null);
      try {
        const run = await benchmark(() => session.run(ortFeeds), {
          warmup: t.warmup,
          repeats: t.repeats,
          minTimeMs: t.minTimeMs,
          maxRepeats: Math.max(t.repeats, 200),
        });
        const viaModel: number[] = [];
        for (let i = 0; i < Math.min(3, t.repeats); i++) {
          const s = performance.now();
          await model.run(feeds);
          viaModel.push(performance.now() - s);
        }
        const a = flops !== null ? achieved(flops, run.medianMs, peak) : null;
        const row: SdScaleRow = {
          file: path.basename(file),
          dtype,
          provider,
          batch,
          flops,
          run,
          onnxModelRunMs: median(viaModel),
          tflops: a?.tflops ?? null,
          fractionOfFp16Peak: a?.fractionOfPeak ?? null,
          sessionCreateMs,
        };
        rows.push(row);
        log(
          `sd-scale ${dtype} ${provider.padEnd(4)} batch ${batch}: ${run.medianMs.toFixed(2)} ms per evaluation (IQR ${run.iqrMs.toFixed(2)}, n ${run.n}), via OnnxModel.run ${row.onnxModelRunMs.toFixed(2)} ms` +
            (a
              ? `, ${a.tflops.toFixed(2)} TFLOP/s${a.fractionOfPeak !== undefined ? ` = ${(100 * a.fractionOfPeak).toFixed(1)}% of dense fp16 peak` : ''}`
              : ''),
        );
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        rows.push({
          file: path.basename(file),
          dtype,
          provider,
          batch,
          flops,
          run: null as unknown as BenchStats,
          onnxModelRunMs: NaN,
          tflops: null,
          fractionOfFp16Peak: null,
          sessionCreateMs,
          error: msg,
        });
        log(`sd-scale ${dtype} ${provider} batch ${batch}: FAILED ${msg}`);
      }
    }
  } finally {
    await session.release();
    await model.release();
  }
  return rows;
}

/** Parsed command line of bench:gpu. */
export interface BenchGpuOptions {
  device: OnnxDevice;
  models: string[];
  sdScaleDir: string;
  quick: boolean;
  parts: ('model' | 'sd')[];
  out: string;
  steps: number[];
  batches: number[];
  sdBatches: number[];
  sdDtypes: ('fp16' | 'fp32')[];
  /** SD-scale on the CPU too (slow: seconds per evaluation); default only in --quick, fp32 batch 1. */
  sdOnCpu: boolean;
}

/** The command line of `npm run bench:gpu`. */
export const BENCH_GPU_CLI = defineCli({
  command: 'npm run bench:gpu --',
  summary: 'Times the shipped models and an SD-scale UNet on the GPU (and CPU) and writes a record under data/.',
  options: {
    device: { type: 'string', value: 'auto|cpu|cuda', default: 'auto', help: 'execution provider' },
    model: { type: 'string', value: 'DIR', multiple: true, help: 'model folder to time (default: the shipped models)' },
    'sd-scale': { type: 'string', value: 'DIR', help: 'folder of the SD-scale UNet exports' },
    quick: { type: 'boolean', default: false, help: 'fewer repeats' },
    parts: { type: 'string', value: 'model,sd', default: 'model,sd', help: 'what to time' },
    out: { type: 'string', value: 'FILE', help: 'record file (default data/gpu-bench-<date>-<host>.json)' },
    steps: { type: 'string', value: '1,4,8,50', help: 'step counts' },
    batches: { type: 'string', value: '1,4,16', help: 'batch sizes' },
    'sd-batches': { type: 'string', value: '1,2', default: '1,2', help: 'SD-scale batch sizes' },
    'sd-dtypes': { type: 'string', value: 'fp16,fp32', default: 'fp16,fp32', help: 'SD-scale dtypes' },
    'sd-on-cpu': { type: 'boolean', default: false, help: 'time SD-scale on the CPU too (slow)' },
  },
});

/** Parses argv (without node and script). */
export function parseBenchGpuArgs(
  argv: string[],
  root: string = packageRoot(),
  now: Date = new Date(),
  host: string = os.hostname(),
): BenchGpuOptions {
  const { values } = parseCli(BENCH_GPU_CLI, argv);
  const device = requireOneOf('--device', values.device, ONNX_DEVICES) as OnnxDevice;
  const parts = values.parts!.split(',').map((p) => requireOneOf('--parts', p.trim(), ['model', 'sd'] as const));
  const sdDtypes = values['sd-dtypes']!.split(',').map((p) =>
    requireOneOf('--sd-dtypes', p.trim(), ['fp16', 'fp32'] as const),
  );
  const quick = values.quick!;
  return {
    device,
    models: values.model && values.model.length ? values.model.map((m) => path.resolve(m)) : defaultBenchModels(root),
    sdScaleDir: path.resolve(values['sd-scale'] ?? path.join(root, 'models', 'recipes', '.work', 'sd-scale')),
    quick,
    parts,
    out: values.out ?? path.join(root, 'data', benchFileName(now, host, quick)),
    steps: values.steps ? parseIntList('--steps', values.steps) : [1, 4, 8, 50],
    batches: values.batches ? parseIntList('--batches', values.batches) : [1, 4, 16],
    sdBatches: parseIntList('--sd-batches', values['sd-batches']!),
    sdDtypes,
    sdOnCpu: values['sd-on-cpu']! || quick,
  };
}

/** Runs the benchmark; returns the record (also written to `o.out`). */
export async function benchGpu(o: BenchGpuOptions, log: (s: string) => void = console.log): Promise<GpuBenchRecord> {
  const gpus = queryGpus();
  const peak = fp16PeakFor(gpus[0]?.name);
  const probe =
    o.models.map((m) => path.join(m, 'unet', 'model.onnx')).find((f) => fs.existsSync(f)) ??
    path.join(o.sdScaleDir, 'unet-fp32.onnx');
  const providers = await resolveProviders(o.device, probe);
  const t: Timing = o.quick ? { warmup: 1, repeats: 2, minTimeMs: 0 } : { warmup: 2, repeats: 10, minTimeMs: 1000 };
  log(
    `bench:gpu ${o.quick ? '(quick) ' : ''}providers ${providers.used.join(' + ')} (${providers.reason}); GPU ${gpus.map((g) => g.name).join(', ') || 'none'}${peak ? `, dense fp16 peak ${peak.tflops} TFLOP/s` : ''}`,
  );
  const models: ModelRow[] = [];
  if (o.parts.includes('model')) {
    for (const dir of o.models) {
      for (const p of providers.used) {
        // 50 steps x batch 16 on the CPU is the slow corner; --quick keeps the grid but not the repeats.
        models.push(...(await benchModel(dir, p, o.steps, o.batches, t, log)));
      }
    }
  }
  const flopsJson = readFlopsJson(o.sdScaleDir);
  const sdRows: SdScaleRow[] = [];
  let skipped: string | undefined;
  if (o.parts.includes('sd')) {
    const files = o.sdDtypes.map((d) => ({ d, f: path.join(o.sdScaleDir, `unet-${d}.onnx`) }));
    const missing = files.filter((x) => !fs.existsSync(x.f) || !fs.existsSync(x.f.replace(/\.onnx$/, '.weights')));
    if (missing.length) {
      skipped = `missing ${missing.map((x) => x.f).join(', ')} (or its .weights): run models/recipes/sd_scale_unet.py, or materialize_weights.py on its manifests`;
      log(`sd-scale: skipped, ${skipped}`);
    }
    for (const { d, f } of files.filter((x) => !missing.includes(x))) {
      for (const p of providers.used) {
        if (p === 'cpu' && !o.sdOnCpu) continue;
        // On the CPU (dry run) only fp32 batch 1 once: an evaluation there takes seconds, fp16 runs through casts.
        const cpuDry = p === 'cpu';
        if (cpuDry && d === 'fp16') continue;
        const tt = cpuDry ? { warmup: 0, repeats: 1, minTimeMs: 0 } : t;
        sdRows.push(
          ...(await benchSdScale(
            f,
            d,
            p,
            cpuDry ? [1] : o.sdBatches,
            flopsJson,
            p === 'cuda' ? peak?.tflops : undefined,
            tt,
            log,
          )),
        );
      }
    }
  }
  const record: GpuBenchRecord = {
    name: 'gpu-bench',
    date: new Date().toISOString(),
    machine: {
      ...machineInfo(),
      gpus,
      fp16PeakTflops: peak?.tflops ?? null,
      peakSource: peak ? `NVIDIA ${peak.gpu} datasheet, dense fp16 tensor (sparse figure / 2)` : 'GPU not in the table',
    },
    versions: gpuVersions(),
    settings: { ...o, timing: t, host: os.hostname(), env: { LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH ?? null } },
    providers: { device: o.device, ...providers },
    models,
    sdScale: { dir: o.sdScaleDir, flopsJson, rows: sdRows, ...(skipped ? { skipped } : {}) },
    anchors: {
      'ORT CUDA, A100, SD 1.5 512 px, 50 guided steps': '1.1 s (onnxruntime stable_diffusion README)',
      'best H100 record': 'about 9.6 ms per guided step, 17% of dense fp16 peak (stable-fast README, 104.6 it/s)',
      'H100 floor': '1.62 ms per guided step (2 x 0.80 TFLOP at 989 TFLOP/s)',
      source: '../shared/reference/published-results.md',
    },
  };
  writeFileAtomicSync(
    o.out,
    JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n',
  );
  log(`wrote ${o.out}`);
  return record;
}

if (require.main === module) {
  runCli('bench:gpu', async () => {
    await benchGpu(parseBenchGpuArgs(process.argv.slice(2)));
  });
}
