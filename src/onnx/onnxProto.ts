/**
 * Decode, edit and encode ONNX ModelProto bytes with protobufjs and fewstep's own schema
 * (src/onnx/onnxSchema.ts). Unchanged parts of a model are written back as they came (see the
 * schema's comment): only the tensors you rewrite change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { InvalidArgumentError, MissingResourceError } from '../core/errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';
import { ONNX_PROTO_JSON } from './onnxSchema.js';

/** An int64 as protobufjs returns it: a number or a Long. */
export type OnnxInt64 = number | { toNumber(): number };

/** One key/value of `external_data` or `metadata_props`. */
export interface OnnxStringEntry {
  key?: string;
  value?: string;
}

/** TensorProto, the fields fewstep reads (camelCase as protobufjs decodes them). */
export interface OnnxTensorProto {
  dims?: OnnxInt64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: OnnxInt64[];
  doubleData?: number[];
  name?: string;
  rawData?: Uint8Array;
  externalData?: OnnxStringEntry[];
  dataLocation?: number;
}

/** AttributeProto (subgraphs in `g` / `graphs` are walked for initializers). */
export interface OnnxAttributeProto {
  name?: string;
  i?: OnnxInt64;
  g?: OnnxGraphProto;
  graphs?: OnnxGraphProto[];
  t?: OnnxTensorProto;
}

/** NodeProto. */
export interface OnnxNodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttributeProto[];
}

/** GraphProto. */
export interface OnnxGraphProto {
  node?: OnnxNodeProto[];
  name?: string;
  initializer?: OnnxTensorProto[];
}

/** ModelProto. */
export interface OnnxModelProto {
  irVersion?: OnnxInt64;
  producerName?: string;
  producerVersion?: string;
  graph?: OnnxGraphProto;
  opsetImport?: { domain?: string; version?: OnnxInt64 }[];
}

/** TensorProto.DataType values (onnx.proto). */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** TensorProto.DataLocation.EXTERNAL. */
export const ONNX_DATA_LOCATION_EXTERNAL = 1;

/** protobuf's hard limit on one message (2 GiB - 1); a model written inline must fit in it. */
export const PROTOBUF_MAX_BYTES = 2 ** 31 - 1;

let modelType: protobuf.Type | undefined;
function getModelType(): protobuf.Type {
  if (!modelType) {
    modelType = protobuf.Root.fromJSON(ONNX_PROTO_JSON).lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Decodes ONNX model bytes. Unknown fields are kept so that `encodeOnnxModel` writes them back. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModelProto {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new InvalidArgumentError(
      'modelBytes',
      bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes,
      'the non-empty bytes of an .onnx file',
    );
  }
  const reader = protobuf.Reader.create(bytes);
  reader.discardUnknown = false;
  let model: OnnxModelProto;
  try {
    model = getModelType().decode(reader) as unknown as OnnxModelProto;
  } catch (e) {
    throw new InvalidArgumentError(
      'modelBytes',
      `${bytes.length} bytes`,
      `a valid ONNX ModelProto (protobuf decode failed: ${(e as Error).message})`,
    );
  }
  if (!model.graph) {
    throw new InvalidArgumentError('modelBytes', `${bytes.length} bytes`, 'an ONNX ModelProto with a graph (field 7)');
  }
  return model;
}

/** Encodes a (possibly edited) model decoded by `decodeOnnxModel` back to bytes. */
export function encodeOnnxModel(model: OnnxModelProto): Uint8Array {
  return getModelType()
    .encode(model as unknown as protobuf.Message)
    .finish();
}

/** An int64 field as a JS number. */
export function int64ToNumber(v: OnnxInt64 | undefined): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** The tensor's shape as numbers. */
export function tensorDims(tensor: OnnxTensorProto): number[] {
  return (tensor.dims ?? []).map(int64ToNumber);
}

/** Element count of a shape (1 for a scalar). */
export function tensorElementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Every initializer of the model's main graph and of subgraphs held in node attributes (If/Loop/Scan bodies). */
export function listInitializers(model: OnnxModelProto): { tensor: OnnxTensorProto; graph: OnnxGraphProto }[] {
  const out: { tensor: OnnxTensorProto; graph: OnnxGraphProto }[] = [];
  const walk = (graph: OnnxGraphProto | undefined): void => {
    if (!graph) return;
    for (const tensor of graph.initializer ?? []) out.push({ tensor, graph });
    for (const node of graph.node ?? []) {
      for (const attr of node.attribute ?? []) {
        walk(attr.g);
        for (const g of attr.graphs ?? []) walk(g);
      }
    }
  };
  walk(model.graph);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits -> float. */
export function bfloat16BitsToFloat32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** float -> bfloat16 bits, round to nearest even. */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if (Number.isNaN(value)) return 0x7fc0;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Where a tensor's bytes live when data_location is EXTERNAL. */
export interface ExternalDataRef {
  location: string;
  offset: number;
  length: number | undefined;
}

/** The parsed `external_data` entries of a tensor, or undefined when its data is inline. */
export function externalDataRef(tensor: OnnxTensorProto): ExternalDataRef | undefined {
  if (tensor.dataLocation !== ONNX_DATA_LOCATION_EXTERNAL) return undefined;
  const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) {
    throw new InvalidArgumentError(
      `tensor ${JSON.stringify(tensor.name)}.external_data`,
      tensor.externalData,
      'a "location" entry (data_location is EXTERNAL)',
    );
  }
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : undefined;
  if (!Number.isInteger(offset) || offset < 0 || (length !== undefined && (!Number.isInteger(length) || length < 0))) {
    throw new InvalidArgumentError(
      `tensor ${JSON.stringify(tensor.name)}.external_data`,
      tensor.externalData,
      'integer offset/length >= 0',
    );
  }
  return { location, offset, length };
}

const ELEMENT_BYTES: Record<number, number> = { 1: 4, 10: 2, 16: 2, 11: 8 };

/** Options for reading tensor data. */
export interface TensorReadOptions {
  /** Folder of the .onnx file; external data locations are relative to it. */
  modelDir?: string;
}

/** The tensor's raw little-endian bytes: raw_data, or the external file's range. */
function tensorRawBytes(tensor: OnnxTensorProto, options: TensorReadOptions): Uint8Array | undefined {
  const ext = externalDataRef(tensor);
  if (ext) {
    if (!options.modelDir) {
      throw new InvalidArgumentError(
        'modelDir',
        options.modelDir,
        `the folder of the .onnx file: tensor ${JSON.stringify(tensor.name)} keeps its data in external file ${JSON.stringify(ext.location)}`,
      );
    }
    if (path.isAbsolute(ext.location) || ext.location.split(/[\\/]/).includes('..')) {
      throw new InvalidArgumentError(
        `tensor ${JSON.stringify(tensor.name)}.external_data.location`,
        ext.location,
        'a relative path inside the model folder',
      );
    }
    const file = path.join(options.modelDir, ext.location);
    if (!fs.existsSync(file)) {
      throw new MissingResourceError(
        file,
        `external data file ${file} of tensor ${JSON.stringify(tensor.name)} is missing (it must sit next to the .onnx file)`,
      );
    }
    const expected = tensorElementCount(tensorDims(tensor)) * (ELEMENT_BYTES[tensor.dataType ?? 0] ?? 0);
    const length = ext.length ?? expected;
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (ext.offset + length > size) {
        throw new InvalidArgumentError(
          `tensor ${JSON.stringify(tensor.name)}.external_data`,
          { offset: ext.offset, length },
          `a range inside ${file} (${size} bytes)`,
        );
      }
      const out = new Uint8Array(length);
      fs.readSync(fd, out, 0, length, ext.offset);
      return out;
    } finally {
      fs.closeSync(fd);
    }
  }
  if (tensor.rawData && tensor.rawData.length > 0) return tensor.rawData;
  return undefined;
}

/**
 * The tensor's values as float32: FLOAT, FLOAT16, BFLOAT16 or DOUBLE, from raw_data, the typed
 * fields (float_data; int32_data holding half bits) or external data.
 */
export function readTensorAsFloat32(tensor: OnnxTensorProto, options: TensorReadOptions = {}): Float32Array {
  const dtype = tensor.dataType ?? 0;
  const n = tensorElementCount(tensorDims(tensor));
  const where = `tensor ${JSON.stringify(tensor.name)}`;
  if (!(dtype in ELEMENT_BYTES)) {
    throw new InvalidArgumentError(
      `${where}.data_type`,
      dtype,
      'FLOAT (1), FLOAT16 (10), BFLOAT16 (16) or DOUBLE (11)',
    );
  }
  const raw = tensorRawBytes(tensor, options);
  const out = new Float32Array(n);
  if (raw) {
    if (raw.length !== n * ELEMENT_BYTES[dtype]) {
      throw new InvalidArgumentError(
        `${where}.raw_data`,
        `${raw.length} bytes`,
        `${n * ELEMENT_BYTES[dtype]} bytes for ${n} elements of data_type ${dtype}`,
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      if (dtype === OnnxDataType.FLOAT) out[i] = view.getFloat32(i * 4, true);
      else if (dtype === OnnxDataType.FLOAT16) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
      else if (dtype === OnnxDataType.BFLOAT16) out[i] = bfloat16BitsToFloat32(view.getUint16(i * 2, true));
      else out[i] = view.getFloat64(i * 8, true);
    }
    return out;
  }
  const typed =
    dtype === OnnxDataType.FLOAT
      ? tensor.floatData
      : dtype === OnnxDataType.DOUBLE
        ? tensor.doubleData
        : tensor.int32Data;
  const values = typed ?? [];
  if (values.length !== n) {
    throw new InvalidArgumentError(
      `${where}`,
      `${values.length} stored values`,
      `${n} values for dims [${tensorDims(tensor).join(', ')}]`,
    );
  }
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (dtype === OnnxDataType.FLOAT16) out[i] = float16BitsToFloat32(v & 0xffff);
    else if (dtype === OnnxDataType.BFLOAT16) out[i] = bfloat16BitsToFloat32(v & 0xffff);
    else out[i] = v;
  }
  return out;
}

/**
 * Stores `values` into the tensor in its own data type (rounded to half precision for FLOAT16 and
 * BFLOAT16). Data that was in float_data / int32_data stays there; raw_data and external data are
 * written as raw_data, inline (the tensor's external_data entries are removed).
 */
export function writeTensorFromFloat32(tensor: OnnxTensorProto, values: Float32Array): void {
  const dtype = tensor.dataType ?? 0;
  const n = tensorElementCount(tensorDims(tensor));
  if (values.length !== n) {
    throw new InvalidArgumentError(
      `values for tensor ${JSON.stringify(tensor.name)}`,
      `${values.length} values`,
      `${n} values`,
    );
  }
  const inTypedField =
    tensor.dataLocation !== ONNX_DATA_LOCATION_EXTERNAL && !(tensor.rawData && tensor.rawData.length > 0);
  if (inTypedField) {
    if (dtype === OnnxDataType.FLOAT) tensor.floatData = Array.from(values);
    else if (dtype === OnnxDataType.DOUBLE) tensor.doubleData = Array.from(values);
    else if (dtype === OnnxDataType.FLOAT16) tensor.int32Data = Array.from(values, float32ToFloat16Bits);
    else if (dtype === OnnxDataType.BFLOAT16) tensor.int32Data = Array.from(values, float32ToBfloat16Bits);
    else throw new InvalidArgumentError(`tensor ${JSON.stringify(tensor.name)}.data_type`, dtype, 'a float type');
    return;
  }
  const bytes = new Uint8Array(n * (ELEMENT_BYTES[dtype] ?? 0));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    if (dtype === OnnxDataType.FLOAT) view.setFloat32(i * 4, values[i], true);
    else if (dtype === OnnxDataType.FLOAT16) view.setUint16(i * 2, float32ToFloat16Bits(values[i]), true);
    else if (dtype === OnnxDataType.BFLOAT16) view.setUint16(i * 2, float32ToBfloat16Bits(values[i]), true);
    else if (dtype === OnnxDataType.DOUBLE) view.setFloat64(i * 8, values[i], true);
    else throw new InvalidArgumentError(`tensor ${JSON.stringify(tensor.name)}.data_type`, dtype, 'a float type');
  }
  tensor.rawData = bytes;
  if (tensor.dataLocation === ONNX_DATA_LOCATION_EXTERNAL) {
    delete tensor.dataLocation;
    delete tensor.externalData;
  }
}

/**
 * Session options that let onnxruntime-node find external data (`model.onnx_data`) of a model
 * created from bytes: without them it looks in the working directory and refuses.
 * Use: `InferenceSession.create(bytes, externalDataSessionOptions(modelDir))`.
 */
export function externalDataSessionOptions(modelDir: string): { extra: { session: Record<string, string> } } {
  return { extra: { session: { model_external_initializers_file_folder_path: path.resolve(modelDir) } } };
}
