/**
 * Orchestration overhead of the ONNX text-to-image pipeline on the tiny fixture (CPU):
 * overhead = (wall - time inside session.run - PNG encoding) / wall, median over repeats, at
 * 1, 4 and 8 steps, batch 1 and 4, with the text-embedding cache on (the default) and off; where
 * the overhead goes (a breakdown per pipeline stage); what ONNX Runtime's own JavaScript layer costs
 * inside the session.run span; and PNG encoding on its own. Prints; asserts nothing.
 *
 *   node dist/cli/benchPipeline.js [--model folder] [--repeats n]
 */
import * as path from 'node:path';
import { defineCli, parseCli, parseIntegerArg, runCli } from './args.js';
import * as ort from 'onnxruntime-node';
import { requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { loadPipeline, orchestrationOverhead, type TextToImagePipeline } from '../onnx/pipeline.js';
import type { OnnxFeed } from '../onnx/session.js';
import { vaeOutputToPngs } from '../onnx/vaePng.js';
import { packageRoot } from '../core/packageRoot.js';

/** Milliseconds of orchestration overhead per image set, by where it is spent (medians over repeats). */
export interface OverheadBreakdown {
  /** Option checks, result assembly, async glue: the part of generate() outside every stage below. */
  setupMs: number;
  /** Tokenization (memoized per prompt) and the embedding-cache lookup. */
  tokenizerMs: number;
  /** Text-encoder stage minus its session.run. */
  textEncoderMs: number;
  /** Scheduler (pooled), initial noise, scaleModelInput and step math. */
  schedulerMs: number;
  /** UNet calls minus session.run: feeds, validation, CFG, finiteness checks... */
  unetCallsMs: number;
  /** ...of which building ONNX Runtime tensors and converting outputs (all sessions). */
  convertMs: number;
  /** VAE stage minus session.run. */
  vaeMs: number;
  /** Between the caller's await and generate()'s own clock (call, promise resolution). */
  outsideMs: number;
}

export interface PipelineBenchRow {
  steps: number;
  batch: number;
  /** Whether the text-embedding cache was on (then the text encoder runs once per prompt list). */
  textCache: boolean;
  wallMs: number;
  sessionRunMs: number;
  pngMs: number;
  /** (wall - sessionRun - png) / wall, median over repeats. */
  overhead: number;
  /** wall - sessionRun - png, median over repeats. */
  overheadMs: number;
  breakdown: OverheadBreakdown;
}

export interface PngBenchRow {
  size: number;
  batch: number;
  ms: number;
}

export interface PipelineBenchResult {
  model: string;
  provider: string;
  repeats: number;
  rows: PipelineBenchRow[];
  png: PngBenchRow[];
  /** Microseconds per UNet call that onnxruntime-node's JavaScript layer adds inside the session.run span (null when not measurable). */
  ortJsLayerUs: number | null;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** session.run counters of the three sessions. */
function counters(pipe: TextToImagePipeline) {
  return { te: pipe.textEncoder.runMs, unet: pipe.unet.runMs, vae: pipe.vaeDecoder.runMs };
}

/** One generate() call, timed from outside, with its overhead split by stage. */
async function measureOnce(pipe: TextToImagePipeline, steps: number, batch: number, seed: number) {
  const c0 = counters(pipe);
  const t0 = performance.now();
  const res = await pipe.generate({ prompt: 'a photo of a cat', steps, seed, batchSize: batch });
  const wall = performance.now() - t0;
  const c1 = counters(pipe);
  const t = res.timings;
  const unetTotal = t.unetMs.reduce((a, b) => a + b, 0);
  const stages = t.tokenizerMs + t.textEncoderMs + t.schedulerMs + unetTotal + t.vaeMs + t.previewMs + t.pngMs;
  const breakdown: OverheadBreakdown = {
    setupMs: t.totalMs - stages,
    tokenizerMs: t.tokenizerMs,
    textEncoderMs: t.textEncoderMs - (c1.te - c0.te),
    schedulerMs: t.schedulerMs,
    unetCallsMs: unetTotal - (c1.unet - c0.unet),
    convertMs: t.convertMs,
    vaeMs: t.vaeMs - (c1.vae - c0.vae),
    outsideMs: wall - t.totalMs,
  };
  return { wall, run: t.sessionRunMs, png: t.pngMs, breakdown };
}

/**
 * What onnxruntime-node's JavaScript layer (argument checks, the setImmediate hop to the native call,
 * output wrapping) adds to one UNet call: median of session.run minus median of the native binding's
 * synchronous run on the same feeds. Reaches into onnxruntime-node's dist/binding (diagnostic only):
 * null when that is not possible.
 */
async function ortJsLayerUs(pipe: TextToImagePipeline, repeats: number): Promise<number | null> {
  // The feeds of a real 1-step generate() call, as ONNX Runtime tensors.
  const unet = pipe.unet;
  let captured: Record<string, OnnxFeed> | undefined;
  const original = unet.run;
  unet.run = (f) => {
    captured ??= f;
    return original.call(unet, f);
  };
  try {
    await pipe.generate({ prompt: 'a photo of a cat', steps: 1, seed: 0 });
  } finally {
    unet.run = original;
  }
  if (!captured || unet.inputs.some((s) => s.type !== 'float32' && s.type !== 'int64' && s.type !== 'int32'))
    return null;
  const feeds: Record<string, ort.Tensor> = {};
  for (const s of unet.inputs) {
    const feed = captured[s.name];
    feeds[s.name] = new ort.Tensor(s.type as 'float32', feed.data as Float32Array, feed.dims.slice());
  }
  const unetPath = unet.path;
  let raw: { loadModel(p: string, o: object): void; run(f: object, fe: object, o: object): unknown; dispose(): void };
  let session: ort.InferenceSession;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const b = require('onnxruntime-node/dist/binding') as {
      binding: { InferenceSession: new () => typeof raw };
      initOrt(): void;
    };
    b.initOrt();
    raw = new b.binding.InferenceSession();
    raw.loadModel(unetPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    session = await ort.InferenceSession.create(unetPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
    });
  } catch {
    return null;
  }
  const fetches = Object.fromEntries(session.outputNames.map((n) => [n, null]));
  const wrapped: number[] = [];
  const native: number[] = [];
  for (let r = 0; r < 50 + repeats; r++) {
    let t = performance.now();
    await session.run(feeds);
    const a = performance.now() - t;
    t = performance.now();
    raw.run(feeds, fetches, {});
    const b = performance.now() - t;
    if (r >= 50) {
      wrapped.push(a);
      native.push(b);
    }
  }
  raw.dispose();
  await session.release();
  return 1000 * (median(wrapped) - median(native));
}

const BREAKDOWN_KEYS: Array<[keyof OverheadBreakdown, string]> = [
  ['setupMs', 'setup'],
  ['tokenizerMs', 'tokens'],
  ['textEncoderMs', 'text'],
  ['schedulerMs', 'sched'],
  ['unetCallsMs', 'unet'],
  ['convertMs', '(conv)'],
  ['vaeMs', 'vae'],
  ['outsideMs', 'outside'],
];

/** Measures and prints the pipeline's orchestration overhead; returns the numbers. */
export async function benchPipeline(
  options: { model?: string; repeats?: number; log?: (s: string) => void } = {},
): Promise<PipelineBenchResult> {
  const log = options.log ?? console.log;
  const repeats = requireInteger('repeats', options.repeats ?? 5, 1, 1000);
  const model = options.model ?? path.join(packageRoot(), 'models', 'fixtures', 'tiny-lcm');
  const cached = await loadPipeline(model, { device: 'cpu', log, textEmbeddingCache: 8 });
  const uncached = await loadPipeline(model, { device: 'cpu', log: () => {}, textEmbeddingCache: 0 });
  const rows: PipelineBenchRow[] = [];
  let jsLayer: number | null = null;
  try {
    for (const pipe of [cached, uncached]) await pipe.generate({ prompt: 'warm up', steps: 2, seed: 1, batchSize: 4 });
    for (const batch of [1, 4]) {
      for (const steps of [1, 4, 8]) {
        const samples = [cached, uncached].map(() => ({
          wall: [] as number[],
          run: [] as number[],
          png: [] as number[],
          over: [] as number[],
          overMs: [] as number[],
          parts: [] as OverheadBreakdown[],
        }));
        for (let r = 0; r < repeats; r++) {
          // Interleaved, so that load on the machine hits both variants alike.
          for (const [v, pipe] of [cached, uncached].entries()) {
            const m = await measureOnce(pipe, steps, batch, 100 + r);
            const s = samples[v];
            s.wall.push(m.wall);
            s.run.push(m.run);
            s.png.push(m.png);
            const o = orchestrationOverhead({ totalMs: m.wall, sessionRunMs: m.run, pngMs: m.png });
            s.over.push(o.fraction);
            s.overMs.push(o.ms);
            s.parts.push(m.breakdown);
          }
        }
        samples.forEach((s, v) => {
          const breakdown = Object.fromEntries(
            BREAKDOWN_KEYS.map(([k]) => [k, median(s.parts.map((p) => p[k]))]),
          ) as unknown as OverheadBreakdown;
          rows.push({
            steps,
            batch,
            textCache: v === 0,
            wallMs: median(s.wall),
            sessionRunMs: median(s.run),
            pngMs: median(s.png),
            overhead: median(s.over),
            overheadMs: median(s.overMs),
            breakdown,
          });
        });
      }
    }
    jsLayer = await ortJsLayerUs(cached, Math.max(200, 10 * repeats));
  } finally {
    await cached.release();
    await uncached.release();
  }
  const pngRows: PngBenchRow[] = [];
  const rng = new Rng(7);
  for (const [size, batch] of [
    [32, 1],
    [32, 4],
    [512, 1],
  ] as const) {
    const data = rng.uniform(batch * 3 * size * size).map((u) => 2 * u - 1);
    await vaeOutputToPngs(data, [batch, 3, size, size]);
    const ts: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await vaeOutputToPngs(data, [batch, 3, size, size]);
      ts.push(performance.now() - t0);
    }
    pngRows.push({ size, batch, ms: median(ts) });
  }
  const f = (x: number, w: number, d = 2) => x.toFixed(d).padStart(w);
  log(`pipeline orchestration overhead, ${path.relative(process.cwd(), model) || model}, cpu, median of ${repeats}`);
  log('batch steps text-cache   wall ms  session.run ms  png ms  overhead  overhead ms');
  for (const r of rows) {
    log(
      `${String(r.batch).padStart(5)} ${String(r.steps).padStart(5)} ${(r.textCache ? 'on' : 'off').padStart(10)} ${f(r.wallMs, 9)} ${f(r.sessionRunMs, 15)} ${f(r.pngMs, 7)} ${f(100 * r.overhead, 8, 1)}% ${f(r.overheadMs, 12, 3)}`,
    );
  }
  log(
    'where the overhead goes, ms per generate() (medians; unet = UNet calls outside session.run, (conv) = tensor building/conversion inside those stages):',
  );
  log(`batch steps text-cache ${BREAKDOWN_KEYS.map(([, name]) => name.padStart(7)).join(' ')}`);
  for (const r of rows) {
    log(
      `${String(r.batch).padStart(5)} ${String(r.steps).padStart(5)} ${(r.textCache ? 'on' : 'off').padStart(10)} ${BREAKDOWN_KEYS.map(([k]) => f(r.breakdown[k], 7, 3)).join(' ')}`,
    );
  }
  if (jsLayer !== null)
    log(
      `inside the session.run span, onnxruntime-node's JavaScript layer (checks, setImmediate hop, output wrapping) adds ${jsLayer.toFixed(1)} us per UNet call over the native run`,
    );
  log('png encoding alone (random [-1, 1] images):');
  for (const p of pngRows) log(`  ${p.batch} x ${p.size}x${p.size}: ${p.ms.toFixed(2)} ms`);
  return { model, provider: cached.provider, repeats, rows, png: pngRows, ortJsLayerUs: jsLayer };
}

/** The command line of `node dist/cli/benchPipeline.js`. */
export const BENCH_PIPELINE_CLI = defineCli({
  command: 'node dist/cli/benchPipeline.js',
  summary: 'Breaks the pipeline time down by stage (tokenizer, text encoder, UNet, scheduler, VAE, PNG).',
  options: {
    model: { type: 'string', value: 'folder', help: 'model folder (default: the shipped scenes LCM)' },
    repeats: { type: 'string', value: 'N', help: 'timed repeats, 1..1000' },
  },
});

if (require.main === module) {
  runCli('benchPipeline', async () => {
    const { values } = parseCli(BENCH_PIPELINE_CLI, process.argv.slice(2));
    const repeats = values.repeats === undefined ? undefined : parseIntegerArg('--repeats', values.repeats, 1, 1000);
    await benchPipeline({ model: values.model, repeats });
  });
}
