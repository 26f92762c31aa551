import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { InvalidArgumentError, MissingResourceError, ModelFileError } from '../core/errors.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from './float16.js';
import { chooseProvider, type OnnxDevice, type ExecutionProviderName } from './providers.js';

/** An input or output of a model as its metadata describes it. */
export interface OnnxTensorSpec {
  name: string;
  /** ONNX Runtime's type name: 'float32', 'float16', 'int64', 'int32', ... */
  type: string;
  /** Dimensions: numbers are fixed, strings are symbolic (e.g. 'batch'); empty when unknown. */
  shape: ReadonlyArray<number | string>;
}

/** What a caller feeds: float inputs take Float32Array (converted to fp16 when the model wants it). */
export interface OnnxFeed {
  data: Float32Array | Int32Array | BigInt64Array;
  dims: readonly number[];
}

/** One output, floats always as Float32Array (fp16 outputs are converted). */
export interface OnnxFetch {
  data: Float32Array | Int32Array | BigInt64Array;
  dims: readonly number[];
  type: string;
}

/** How to add CUDA, said once per process when `auto` runs on the CPU for want of the provider library. */
const CUDA_HINT = '`npm run setup:cuda` installs the CUDA provider';
let cudaHintShown = false;

/** Forget that the CUDA hint was shown (for tests). */
export function resetCudaHint(): void {
  cudaHintShown = false;
}

export interface OpenModelOptions {
  device?: OnnxDevice;
  /** Skip the provider choice and use this provider list (the pipeline decides once for all sessions). */
  executionProviders?: string[];
  /** Component name for messages ('unet', 'vae_decoder', ...). */
  component?: string;
  /** Where the one-line provider decision goes (console.log by default). */
  log?: (line: string) => void;
}

/**
 * ONNX Runtime session options of every model the course opens. The intra-op worker threads do not
 * spin-wait between operators (ONNX Runtime's default is to spin, which on a shared 2-core machine
 * burns the other core while the JavaScript side samples, encodes or scores; turning it off does not
 * change any result, only who waits how). Environment overrides, for measuring the difference
 * (scripts/perf/bench-evaluate.mjs): FEWSTEP_ORT_SPINNING=1 spins again, FEWSTEP_ORT_THREADS=n sets
 * the intra-op thread count (default: ONNX Runtime's own choice).
 */
export function sessionCreateOptions(executionProviders: string[]): ort.InferenceSession.SessionOptions {
  return { executionProviders, graphOptimizationLevel: 'all', ...threadingOptions() };
}

/** The threading part of sessionCreateOptions (no spinning; FEWSTEP_ORT_SPINNING, FEWSTEP_ORT_THREADS). */
export function threadingOptions(): Pick<ort.InferenceSession.SessionOptions, 'extra' | 'intraOpNumThreads'> {
  const spin = process.env.FEWSTEP_ORT_SPINNING === '1' ? '1' : '0';
  const threads = process.env.FEWSTEP_ORT_THREADS;
  const o: Pick<ort.InferenceSession.SessionOptions, 'extra' | 'intraOpNumThreads'> = {
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
  if (threads !== undefined && threads !== '') {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1 || n > 256)
      throw new InvalidArgumentError('FEWSTEP_ORT_THREADS', threads, 'an integer thread count in [1, 256]');
    o.intraOpNumThreads = n;
  }
  return o;
}

/** Formats specs as `name: type [d0, d1, ...]` for error messages. */
export function describeSpecs(specs: readonly OnnxTensorSpec[]): string {
  return specs.map((s) => `${s.name}: ${s.type} [${s.shape.join(', ')}]`).join('; ');
}

function specsOf(meta: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): OnnxTensorSpec[] {
  return names.map((name, i) => {
    const m = meta.find((v) => v.name === name) ?? meta[i];
    if (m && m.isTensor) return { name, type: m.type, shape: m.shape.slice() };
    return { name, type: 'unknown', shape: [] };
  });
}

const FLOAT_TYPES = new Set(['float32', 'float16']);
const INT_TYPES = new Set(['int32', 'int64']);

/**
 * An ONNX Runtime session that knows its inputs and outputs (from the session metadata), checks feeds
 * against them, converts float32 <-> float16 at the boundary, and counts the time spent in run().
 */
export class OnnxModel {
  readonly path: string;
  readonly component: string;
  readonly provider: ExecutionProviderName;
  readonly inputs: readonly OnnxTensorSpec[];
  readonly outputs: readonly OnnxTensorSpec[];
  /** Total milliseconds spent inside ONNX Runtime's session.run (the call alone, see convertMs). */
  runMs = 0;
  /** Milliseconds of the last run() spent inside session.run. */
  lastRunMs = 0;
  /** Total milliseconds spent building input tensors and converting outputs (float16 <-> float32 included). */
  convertMs = 0;
  /** Number of run() calls. */
  runs = 0;
  private readonly session: ort.InferenceSession;
  private readonly inputByName: ReadonlyMap<string, OnnxTensorSpec>;

  private constructor(path: string, component: string, provider: ExecutionProviderName, session: ort.InferenceSession) {
    this.path = path;
    this.component = component;
    this.provider = provider;
    this.session = session;
    this.inputs = specsOf(session.inputMetadata, session.inputNames);
    this.outputs = specsOf(session.outputMetadata, session.outputNames);
    this.inputByName = new Map(this.inputs.map((spec) => [spec.name, spec]));
  }

  /**
   * Opens `modelPath`. With `executionProviders` the session uses them as given; otherwise `device`
   * picks the provider (see chooseProvider) and one line saying which and why is logged.
   */
  static async open(modelPath: string, options: OpenModelOptions = {}): Promise<OnnxModel> {
    const component = options.component ?? modelPath;
    if (!fs.existsSync(modelPath)) {
      throw new MissingResourceError(
        modelPath,
        `${component}: model file ${modelPath} does not exist (get a model with \`npm run fetch-model -- <repo>\`)`,
      );
    }
    const create = async (executionProviders: string[]) => {
      try {
        return await ort.InferenceSession.create(modelPath, sessionCreateOptions(executionProviders));
      } catch (e) {
        throw modelLoadError(modelPath, component, e);
      }
    };
    if (options.executionProviders) {
      const eps = options.executionProviders;
      const session = await create(eps);
      return new OnnxModel(modelPath, component, eps.includes('cuda') ? 'cuda' : 'cpu', session);
    }
    const choice = await chooseProvider(options.device ?? 'auto', create);
    const log = options.log ?? console.log;
    if (choice.cudaNotInstalled) {
      // The usual laptop case, not an error: say how to get the GPU once per process, then just where it runs.
      log(`onnx: ${component} on cpu`);
      if (!cudaHintShown) {
        cudaHintShown = true;
        log(
          `onnx: (info) running on the CPU, which is all the course needs; on a machine with an NVIDIA GPU, ${CUDA_HINT}`,
        );
      }
    } else {
      log(`onnx: ${component} on ${choice.provider} (${choice.reason})`);
    }
    return new OnnxModel(modelPath, component, choice.provider, choice.value);
  }

  /** Whether the model has an input of this name. */
  hasInput(name: string): boolean {
    return this.inputByName.has(name);
  }

  /** The spec of input `name` (InvalidArgumentError listing the inputs when absent). */
  input(name: string): OnnxTensorSpec {
    const s = this.inputByName.get(name);
    if (!s)
      throw new InvalidArgumentError(`${this.component} input`, name, `expected one of: ${describeSpecs(this.inputs)}`);
    return s;
  }

  /** Checks feeds against the metadata: names, dtypes, ranks, fixed and shared symbolic dimensions. */
  validate(feeds: Record<string, OnnxFeed>): void {
    const expected = () => `${this.component} expects ${describeSpecs(this.inputs)}`;
    for (const name of Object.keys(feeds)) {
      if (!this.inputByName.has(name))
        throw new InvalidArgumentError(`${this.component}.${name}`, 'unexpected input', expected());
    }
    let symbols: Map<string, number> | undefined;
    for (const spec of this.inputs) {
      const feed = feeds[spec.name];
      if (!feed) throw new InvalidArgumentError(`${this.component}.${spec.name}`, 'missing', expected());
      const given = () => `${feedType(feed)} [${feed.dims.join(', ')}]`;
      let size = 1;
      for (const d of feed.dims) size *= d;
      const typeOk = FLOAT_TYPES.has(spec.type)
        ? feed.data instanceof Float32Array
        : INT_TYPES.has(spec.type)
          ? !(feed.data instanceof Float32Array)
          : true;
      if (!typeOk || size !== feed.data.length)
        throw new InvalidArgumentError(`${this.component}.${spec.name}`, given(), expected());
      if (spec.shape.length > 0) {
        if (spec.shape.length !== feed.dims.length)
          throw new InvalidArgumentError(`${this.component}.${spec.name}`, given(), expected());
        for (let i = 0; i < spec.shape.length; i++) {
          const d = spec.shape[i];
          const got = feed.dims[i];
          if (typeof d === 'number' && d >= 0 && d !== got)
            throw new InvalidArgumentError(
              `${this.component}.${spec.name}`,
              given(),
              `${expected()} (dimension ${i} must be ${d})`,
            );
          if (typeof d === 'string' && d !== '') {
            symbols ??= new Map<string, number>();
            const seen = symbols.get(d);
            if (seen !== undefined && seen !== got)
              throw new InvalidArgumentError(
                `${this.component}.${spec.name}`,
                given(),
                `${expected()} (dimension ${i} is "${d}" = ${seen} elsewhere)`,
              );
            symbols.set(d, got);
          }
        }
      }
    }
  }

  /**
   * Validates, converts, runs, and returns every output (floats as Float32Array). `runMs` counts only
   * the `session.run` call itself; building the input tensors and converting the outputs (float16
   * included) go to `convertMs`.
   */
  async run(feeds: Record<string, OnnxFeed>): Promise<Record<string, OnnxFetch>> {
    this.validate(feeds);
    const t0 = performance.now();
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const spec of this.inputs) ortFeeds[spec.name] = toTensor(spec, feeds[spec.name]);
    const t1 = performance.now();
    const results = await this.session.run(ortFeeds);
    const t2 = performance.now();
    const out: Record<string, OnnxFetch> = {};
    for (const [name, t] of Object.entries(results)) {
      const tensor = t as ort.Tensor;
      const data =
        tensor.type === 'float16'
          ? float16ArrayToFloat32(tensor.data as Uint16Array)
          : (tensor.data as Float32Array | Int32Array | BigInt64Array);
      out[name] = { data, dims: tensor.dims.slice(), type: tensor.type };
    }
    const ms = t2 - t1;
    this.runMs += ms;
    this.lastRunMs = ms;
    this.convertMs += t1 - t0 + (performance.now() - t2);
    this.runs++;
    return out;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** ONNX Runtime's words for a model file it cannot parse (truncated, corrupt, not ONNX). */
const MODEL_FILE_FAILURE = /^Load model from|Protobuf parsing failed|ModelProto|INVALID_PROTOBUF|external data/i;

/**
 * The error of a failed session creation: ModelFileError naming the file, its size and what ONNX Runtime
 * found wrong when the file itself is bad; other errors (provider, memory) unchanged.
 */
export function modelLoadError(modelPath: string, component: string, e: unknown): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (!MODEL_FILE_FAILURE.test(message)) return e;
  const reason = message
    .split('\n')[0]
    .replace(/^Load model from .*? failed:/, '')
    .replace(/^\S+:\d+ \S+::\S+\(.*\) /, '')
    .trim();
  let size = '';
  try {
    size = ` (${fs.statSync(modelPath).size} bytes)`;
  } catch {
    // the size is only a hint
  }
  return new ModelFileError(
    modelPath,
    `${component}: ${modelPath}${size} is not a loadable ONNX model: ${reason || 'ONNX Runtime refused it'}; ` +
      'the file is truncated, corrupt or not ONNX: download it again (`npm run fetch-model -- <repo>`) or rebuild it',
  );
}

function feedType(feed: OnnxFeed): string {
  return feed.data instanceof Float32Array ? 'float32' : feed.data instanceof Int32Array ? 'int32' : 'int64';
}

function toTensor(spec: OnnxTensorSpec, feed: OnnxFeed): ort.Tensor {
  const dims = feed.dims.slice();
  const d = feed.data;
  switch (spec.type) {
    case 'float16':
      return new ort.Tensor('float16', float32ArrayToFloat16(d as Float32Array), dims);
    case 'float32':
      return new ort.Tensor('float32', d as Float32Array, dims);
    case 'int64':
      return new ort.Tensor(
        'int64',
        d instanceof BigInt64Array ? d : BigInt64Array.from(d as Int32Array, (v) => BigInt(v)),
        dims,
      );
    case 'int32':
      return new ort.Tensor(
        'int32',
        d instanceof Int32Array ? d : Int32Array.from(d as BigInt64Array, (v) => Number(v)),
        dims,
      );
    default:
      return new ort.Tensor(d as Float32Array, dims);
  }
}
