/**
 * LoRA fusing into ONNX initializers: W' = W + scale * (alpha / r) * B @ A (Hu et al. 2021, eq. 3),
 * done once on the model bytes so the fused model runs at the base model's speed.
 *
 * LoRA files: safetensors (F32, F16, BF16, F64). Key styles understood (`<m>` = module path):
 * - peft / diffusers >= 0.26: `[unet.|text_encoder.|base_model.model.]<m>.lora_A[.<adapter>].weight`
 *   ([r, in] or [r, in, kh, kw]) and `.lora_B...weight` ([out, r] or [out, r, 1, 1]); no alpha in
 *   the file (pass `alpha` or `alphas`: peft keeps `lora_alpha` in adapter_config.json).
 * - kohya / sd-scripts (LCM-LoRA uses it): `lora_unet_<m with _>.lora_down.weight`, `.lora_up.weight`,
 *   `.alpha` (scalar).
 * - diffusers (older): `<m>.lora.down.weight` / `.lora.up.weight`, and attention processors
 *   `<block>.processor.to_q_lora.down.weight` (-> `<block>.to_q`; `to_out_lora` -> `to_out.0`).
 * alpha defaults to r (factor 1) when neither the file nor the options give one.
 *
 * Matching LoRA modules to ONNX initializers, the rule: both sides are reduced to a normalised
 * module path, `normalizeModulePath` = the component prefix removed (`lora_unet_`, `unet.`, ...),
 * every `.` and `/` made `_`, lower case. ONNX candidates for a float initializer are
 * (a) its own name without `.weight` (Conv and Gemm weights keep their torch names), and
 * (b) the name of the MatMul / Gemm / Conv node that uses it as its weight input (directly or
 * through Cast / Identity), without the op segment: `/down_blocks.0/attentions.0/proj_in/MatMul`
 * -> `down_blocks.0.attentions.0.proj_in` (torch's exporter names linear weights `onnx::MatMul_123`
 * but keeps the module scope in node names). An explicit map `{ loraBaseKey: initializerName }`
 * (`nameMap`, or a JSON file via `readLoraNameMap`) takes precedence.
 *
 * Orientation: delta = B @ A is [out, in]. MatMul's weight input is stored [in, out] (y = x W), so
 * the delta is added transposed; Gemm follows its transB attribute; Conv weights are
 * [out, in, kh, kw] and take the delta reshaped. Without a graph use, the shape decides
 * ([out, in] vs [in, out]) and a square weight is reported unmatched as ambiguous.
 */
import * as fs from 'node:fs';
import { InvalidArgumentError, MissingResourceError, NumericalError, requireFinite } from '../core/errors.js';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  externalDataRef,
  int64ToNumber,
  listInitializers,
  OnnxDataType,
  PROTOBUF_MAX_BYTES,
  readTensorAsFloat32,
  tensorElementCount,
  tensorDims,
  writeTensorFromFloat32,
  type OnnxGraphProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
} from './onnxProto.js';
import { parseSafetensors, readSafetensorsFile, type SafeTensor, type SafeTensorsFile } from './safetensors.js';

/** One low-rank update: A (`down`) [r, in...], B (`up`) [out, r...]. */
export interface LoraModule {
  /** The file's key without the part suffix, e.g. `lora_unet_mid_block_attentions_0_proj_in`. */
  baseKey: string;
  /** Normalised module path used for matching (see `normalizeModulePath`). */
  normalized: string;
  /** `unet`, `text_encoder`, `text_encoder_2` when the key says so. */
  component: string | undefined;
  down: SafeTensor;
  up: SafeTensor;
  rank: number;
  alpha: number | undefined;
}

/** A LoRA adapter read from a file. */
export interface LoraAdapter {
  modules: LoraModule[];
  /** Keys that are not LoRA factors or miss their partner (A without B, ...). */
  ignoredKeys: string[];
  metadata: Record<string, string>;
}

const COMPONENT_PREFIXES: [RegExp, string | undefined][] = [
  [/^lora_unet_/, 'unet'],
  [/^lora_te1_/, 'text_encoder'],
  [/^lora_te2_/, 'text_encoder_2'],
  [/^lora_te_/, 'text_encoder'],
  [/^unet\./, 'unet'],
  [/^text_encoder_2\./, 'text_encoder_2'],
  [/^text_encoder\./, 'text_encoder'],
  [/^base_model\.model\./, undefined],
];

const PART_SUFFIXES: [RegExp, 'down' | 'up' | 'alpha'][] = [
  [/\.lora_A(\.[A-Za-z0-9_-]+)?\.weight$/, 'down'],
  [/\.lora_B(\.[A-Za-z0-9_-]+)?\.weight$/, 'up'],
  [/\.lora_down\.weight$/, 'down'],
  [/\.lora_up\.weight$/, 'up'],
  [/\.lora\.down\.weight$/, 'down'],
  [/\.lora\.up\.weight$/, 'up'],
  [/_lora\.down\.weight$/, 'down'],
  [/_lora\.up\.weight$/, 'up'],
  [/\.alpha$/, 'alpha'],
];

/** Splits a LoRA file key into its base key (module part) and which factor it holds; undefined if it is none. */
export function parseLoraKey(key: string): { baseKey: string; part: 'down' | 'up' | 'alpha' } | undefined {
  for (const [re, part] of PART_SUFFIXES) {
    if (re.test(key)) return { baseKey: key.replace(re, ''), part };
  }
  return undefined;
}

/**
 * The matching form of a module path (LoRA base key or ONNX name): component prefix removed,
 * diffusers' `.processor.to_x` -> `.to_x` (`to_out` -> `to_out.0`), `.` and `/` -> `_`, lower case.
 */
export function normalizeModulePath(name: string): { normalized: string; component: string | undefined } {
  let s = name.replace(/^\/+/, '');
  let component: string | undefined;
  for (const [re, c] of COMPONENT_PREFIXES) {
    if (re.test(s)) {
      s = s.replace(re, '');
      component = c;
      break;
    }
  }
  s = s.replace(/\.processor\.(to_q|to_k|to_v)$/, '.$1').replace(/\.processor\.to_out$/, '.to_out.0');
  return { normalized: s.replace(/[./]/g, '_').toLowerCase(), component };
}

/** Options for reading a LoRA. */
export interface LoadLoraOptions {
  /** alpha for every module without an `.alpha` key (peft files); default r. */
  alpha?: number;
  /** per-base-key alpha, overrides the file. */
  alphas?: Record<string, number>;
}

/** Reads a LoRA adapter from a .safetensors path, its bytes, or a parsed file. */
export function loadLora(source: string | Uint8Array | SafeTensorsFile, options: LoadLoraOptions = {}): LoraAdapter {
  const file =
    typeof source === 'string'
      ? readSafetensorsFile(source)
      : source instanceof Uint8Array
        ? parseSafetensors(source, 'lora')
        : source;
  if (options.alpha !== undefined) requireFinite('alpha', options.alpha, 0);
  const groups = new Map<string, { down?: SafeTensor; up?: SafeTensor; alpha?: number; keys: string[] }>();
  const ignoredKeys: string[] = [];
  for (const [key, tensor] of file.tensors) {
    const parsed = parseLoraKey(key);
    if (!parsed) {
      ignoredKeys.push(key);
      continue;
    }
    const g = groups.get(parsed.baseKey) ?? { keys: [] };
    g.keys.push(key);
    if (parsed.part === 'alpha') {
      if (tensor.data.length !== 1)
        throw new InvalidArgumentError(`lora[${JSON.stringify(key)}]`, tensor.shape, 'a scalar alpha');
      g.alpha = tensor.data[0];
    } else {
      g[parsed.part] = tensor;
    }
    groups.set(parsed.baseKey, g);
  }
  const modules: LoraModule[] = [];
  for (const [baseKey, g] of groups) {
    if (!g.down || !g.up) {
      ignoredKeys.push(...g.keys);
      continue;
    }
    const rank = g.down.shape[0];
    if (
      g.down.shape.length < 2 ||
      g.up.shape.length < 2 ||
      g.up.shape[1] !== rank ||
      tensorElementCount(g.up.shape.slice(2)) !== 1
    ) {
      throw new InvalidArgumentError(
        `lora[${JSON.stringify(baseKey)}]`,
        { down: g.down.shape, up: g.up.shape },
        'down (A) [r, in, ...] and up (B) [out, r] or [out, r, 1, 1] with the same r',
      );
    }
    const { normalized, component } = normalizeModulePath(baseKey);
    const alpha = options.alphas?.[baseKey] ?? g.alpha ?? options.alpha;
    modules.push({ baseKey, normalized, component, down: g.down, up: g.up, rank, alpha });
  }
  return { modules, ignoredKeys, metadata: file.metadata };
}

/** Reads an explicit `{ "<LoRA base key>": "<ONNX initializer name>" }` JSON map file. */
export function readLoraNameMap(file: string): Record<string, string> {
  if (!fs.existsSync(file)) throw new MissingResourceError(file, `LoRA name map ${file} does not exist`);
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw new InvalidArgumentError(
      'nameMap',
      file,
      'a JSON object of string -> string (LoRA base key -> initializer name)',
    );
  }
  return parsed as Record<string, string>;
}

/** How the delta [out, in] lands in a weight. */
export type WeightLayout = 'out-in' | 'in-out';

interface WeightTarget {
  tensor: OnnxTensorProto;
  /** From the graph use; undefined when only the name matched. */
  layout: WeightLayout | undefined;
  via: 'name' | 'node';
}

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);
const PASS_THROUGH_OPS = new Set(['Cast', 'Identity']);

function nodeModulePath(nodeName: string): string | undefined {
  const segments = nodeName.replace(/^\/+/, '').split('/');
  if (segments.length < 2) return undefined;
  return segments.slice(0, -1).join('.');
}

function layoutOf(node: OnnxNodeProto): WeightLayout {
  if (node.opType === 'MatMul') return 'in-out';
  if (node.opType === 'Gemm') {
    const transB = node.attribute?.find((a) => a.name === 'transB');
    return transB && int64ToNumber(transB.i) === 1 ? 'out-in' : 'in-out';
  }
  return 'out-in';
}

/** Index of float initializers by normalised module path, with the layout their use implies. */
function indexWeights(model: OnnxModelProto): Map<string, WeightTarget[]> {
  const index = new Map<string, WeightTarget[]>();
  const add = (key: string, target: WeightTarget): void => {
    const list = index.get(key) ?? [];
    if (!list.some((t) => t.tensor === target.tensor)) list.push(target);
    else if (target.layout) list.forEach((t) => t.tensor === target.tensor && (t.layout = target.layout));
    index.set(key, list);
  };
  const consumersByGraph = new Map<OnnxGraphProto, Map<string, { node: OnnxNodeProto; index: number }[]>>();
  for (const { tensor, graph } of listInitializers(model)) {
    const dt = tensor.dataType ?? 0;
    if (![OnnxDataType.FLOAT, OnnxDataType.FLOAT16, OnnxDataType.BFLOAT16, OnnxDataType.DOUBLE].includes(dt as 1))
      continue;
    if (tensorDims(tensor).length < 2) continue;
    let consumers = consumersByGraph.get(graph);
    if (!consumers) {
      consumers = new Map();
      for (const node of graph.node ?? []) {
        (node.input ?? []).forEach((name, index) => {
          const list = consumers!.get(name) ?? [];
          list.push({ node, index });
          consumers!.set(name, list);
        });
      }
      consumersByGraph.set(graph, consumers);
    }
    const name = tensor.name ?? '';
    let layoutFromUse: WeightLayout | undefined;
    const visit = (value: string, depth: number): void => {
      for (const { node, index } of consumers!.get(value) ?? []) {
        if (PASS_THROUGH_OPS.has(node.opType ?? '') && depth < 3) {
          for (const out of node.output ?? []) visit(out, depth + 1);
        } else if (WEIGHT_OPS.has(node.opType ?? '') && index === 1) {
          layoutFromUse = layoutOf(node);
          const modulePath = node.name ? nodeModulePath(node.name) : undefined;
          if (modulePath)
            add(normalizeModulePath(modulePath).normalized, { tensor, layout: layoutFromUse, via: 'node' });
        }
      }
    };
    visit(name, 0);
    if (name.endsWith('.weight')) {
      add(normalizeModulePath(name.slice(0, -'.weight'.length)).normalized, {
        tensor,
        layout: layoutFromUse,
        via: 'name',
      });
    }
  }
  return index;
}

/** One fused module in the report. */
export interface LoraMatch {
  loraKey: string;
  initializer: string;
  dims: number[];
  layout: WeightLayout;
  /** max |scale * alpha / r * (B @ A)| over the weight's elements. */
  maxAbsDelta: number;
}

/** What `fuseLora` did. */
export interface LoraFuseReport {
  scale: number;
  matched: LoraMatch[];
  unmatched: { loraKey: string; reason: string }[];
  ignoredKeys: string[];
  maxAbsDelta: number;
  /** Names of tensors whose external data was read, fused and written inline. */
  inlinedExternal: string[];
}

/** Options of `fuseLora`. */
export interface FuseLoraOptions {
  /** Multiplier of the LoRA delta (the "LoRA weight" slider); default 1. */
  scale?: number;
  /** Folder of the .onnx file, needed when fused weights live in external data (`model.onnx_data`). */
  modelDir?: string;
  /** Explicit LoRA base key -> initializer name map, tried before the name rule. */
  nameMap?: Record<string, string>;
  /** Only modules of this component (`unet`, `text_encoder`, ...); modules with no component always count. */
  component?: string;
  /** Refuse to write a model larger than this inline (default protobuf's 2 GiB - 1). */
  maxInlineBytes?: number;
}

function orientLayout(target: WeightTarget, dims: number[], out: number, fanIn: number): WeightLayout | string {
  const total = tensorElementCount(dims);
  if (total !== out * fanIn)
    return `weight dims [${dims.join(', ')}] hold ${total} values, the LoRA delta ${out} x ${fanIn}`;
  const outIn = dims[0] === out && tensorElementCount(dims.slice(1)) === fanIn;
  const inOut = dims.length === 2 && dims[0] === fanIn && dims[1] === out;
  if (target.layout === 'out-in')
    return outIn
      ? 'out-in'
      : `weight dims [${dims.join(', ')}] do not fit [out=${out}, in=${fanIn}] (used as [out, in])`;
  if (target.layout === 'in-out')
    return inOut
      ? 'in-out'
      : `weight dims [${dims.join(', ')}] do not fit [in=${fanIn}, out=${out}] (used as MatMul weight [in, out])`;
  if (outIn && inOut)
    return `square weight [${dims.join(', ')}] with no MatMul/Gemm/Conv use to tell its orientation: ambiguous`;
  if (outIn) return 'out-in';
  if (inOut) return 'in-out';
  return `weight dims [${dims.join(', ')}] fit neither [out, in] nor [in, out]`;
}

/**
 * Adds scale * (alpha / r) * B @ A of every LoRA module into the matching initializer of the model
 * and returns the fused model's bytes and a report. Load the result with
 * `InferenceSession.create(bytes)`. Weights read from external data are written inline.
 */
export function fuseLora(
  modelBytes: Uint8Array,
  lora: LoraAdapter,
  options: FuseLoraOptions = {},
): { bytes: Uint8Array; report: LoraFuseReport } {
  const scale = requireFinite('scale', options.scale ?? 1);
  const maxInlineBytes = options.maxInlineBytes ?? PROTOBUF_MAX_BYTES;
  const model = decodeOnnxModel(modelBytes);
  const index = indexWeights(model);
  const byName = new Map(listInitializers(model).map(({ tensor }) => [tensor.name ?? '', tensor]));
  const report: LoraFuseReport = {
    scale,
    matched: [],
    unmatched: [],
    ignoredKeys: [...lora.ignoredKeys],
    maxAbsDelta: 0,
    inlinedExternal: [],
  };
  let inlineBytes = modelBytes.length;
  const fusedTensors = new Set<OnnxTensorProto>();

  for (const mod of lora.modules) {
    if (options.component && mod.component && mod.component !== options.component) {
      report.unmatched.push({ loraKey: mod.baseKey, reason: `belongs to ${mod.component}, not ${options.component}` });
      continue;
    }
    let target: WeightTarget | undefined;
    const mapped = options.nameMap?.[mod.baseKey];
    if (mapped !== undefined) {
      const tensor = byName.get(mapped);
      if (!tensor) {
        report.unmatched.push({
          loraKey: mod.baseKey,
          reason: `nameMap names initializer ${JSON.stringify(mapped)}, which the model does not have`,
        });
        continue;
      }
      const fromIndex = [...index.values()].flat().find((t) => t.tensor === tensor && t.layout);
      target = { tensor, layout: fromIndex?.layout, via: 'name' };
    } else {
      const candidates = index.get(mod.normalized) ?? [];
      if (candidates.length === 0) {
        report.unmatched.push({
          loraKey: mod.baseKey,
          reason: `no initializer matches module path ${JSON.stringify(mod.normalized)}`,
        });
        continue;
      }
      if (candidates.length > 1) {
        report.unmatched.push({
          loraKey: mod.baseKey,
          reason: `ambiguous: ${candidates.map((c) => c.tensor.name).join(', ')}`,
        });
        continue;
      }
      target = candidates[0];
    }
    const tensor = target.tensor;
    const dims = tensorDims(tensor);
    const out = mod.up.shape[0];
    const r = mod.rank;
    const fanIn = tensorElementCount(mod.down.shape.slice(1));
    const layout = orientLayout(target, dims, out, fanIn);
    if (layout !== 'out-in' && layout !== 'in-out') {
      report.unmatched.push({ loraKey: mod.baseKey, reason: `${tensor.name}: ${layout}` });
      continue;
    }
    if (fusedTensors.has(tensor)) {
      report.unmatched.push({ loraKey: mod.baseKey, reason: `${tensor.name} was already fused from another LoRA key` });
      continue;
    }
    const external = externalDataRef(tensor) !== undefined;
    const weight = readTensorAsFloat32(tensor, { modelDir: options.modelDir });
    // factor = scale * alpha / r (alpha defaults to r)
    const factor = scale * ((mod.alpha ?? r) / r);
    const A = mod.down.data;
    const B = mod.up.data;
    let maxAbs = 0;
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < fanIn; k++) {
        let s = 0;
        for (let j = 0; j < r; j++) s += B[o * r + j] * A[j * fanIn + k];
        const d = factor * s;
        const idx = layout === 'out-in' ? o * fanIn + k : k * out + o;
        weight[idx] += d;
        const ad = Math.abs(d);
        if (ad > maxAbs) maxAbs = ad;
      }
    }
    for (let i = 0; i < weight.length; i++) {
      if (!Number.isFinite(weight[i]))
        throw new NumericalError(
          'fuseLora',
          `fused ${tensor.name}[${i}] is ${weight[i]} (LoRA key ${mod.baseKey}, scale ${scale})`,
        );
    }
    writeTensorFromFloat32(tensor, weight);
    fusedTensors.add(tensor);
    if (external) {
      report.inlinedExternal.push(tensor.name ?? '');
      inlineBytes += tensor.rawData?.length ?? 0;
      if (inlineBytes > maxInlineBytes) {
        throw new InvalidArgumentError(
          'modelBytes',
          `${inlineBytes} bytes after inlining ${report.inlinedExternal.length} fused external tensors`,
          `at most ${maxInlineBytes} bytes inline (protobuf's limit is ${PROTOBUF_MAX_BYTES}); fuse fewer modules (component, nameMap) or use a model whose LoRA targets are stored inline`,
        );
      }
    }
    report.matched.push({ loraKey: mod.baseKey, initializer: tensor.name ?? '', dims, layout, maxAbsDelta: maxAbs });
    report.maxAbsDelta = Math.max(report.maxAbsDelta, maxAbs);
  }
  const bytes = encodeOnnxModel(model);
  return { bytes, report };
}
