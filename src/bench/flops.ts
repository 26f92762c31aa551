/**
 * FLOP counts of ONNX graphs (through models/recipes/count_flops.py), the input shapes of one UNet
 * evaluation, and the compute floor a FLOP count implies at a peak rate.
 */
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError, requireFinite, requireInteger } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';

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
