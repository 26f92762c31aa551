/**
 * A reader for the safetensors format (the LoRA files of the diffusers/kohya/peft ecosystem):
 * 8 bytes little-endian u64 N, then N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }`,
 * then the tensors' raw little-endian bytes; offsets count from the end of the header.
 * Supported dtypes: F32, F16, BF16, F64 (read as float32).
 */
import * as fs from 'node:fs';
import { InvalidArgumentError, MissingResourceError } from '../core/errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';
import { bfloat16BitsToFloat32, tensorElementCount } from './onnxProto.js';

/** One tensor of a safetensors file, converted to float32. */
export interface SafeTensor {
  dtype: 'F32' | 'F16' | 'BF16' | 'F64';
  shape: number[];
  data: Float32Array;
}

/** The parsed file: tensors by name and the free-form `__metadata__` strings. */
export interface SafeTensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2, F64: 8 } as const;
/** Header sizes above this are refused (the reference implementation's limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** Parses safetensors bytes. Throws InvalidArgumentError naming the tensor or header field that is wrong. */
export function parseSafetensors(bytes: Uint8Array, field = 'safetensors'): SafeTensorsFile {
  if (bytes.length < 8)
    throw new InvalidArgumentError(field, `${bytes.length} bytes`, 'at least 8 bytes (u64 header length)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new InvalidArgumentError(
      `${field}.headerLength`,
      headerLength,
      `2..${Math.min(MAX_HEADER_BYTES, bytes.length - 8)} (file has ${bytes.length} bytes)`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(`${field}.header`, (e as Error).message, 'a JSON object');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new InvalidArgumentError(`${field}.header`, header, 'a JSON object');
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `${field}[${JSON.stringify(name)}]`;
    if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw new InvalidArgumentError(`${where}.dtype`, e?.dtype, 'one of "F32", "F16", "BF16", "F64"');
    }
    const dtype = e.dtype as SafeTensor['dtype'];
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new InvalidArgumentError(`${where}.shape`, e.shape, 'an array of integers >= 0');
    }
    const shape = e.shape as number[];
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
      offsets[0] > offsets[1] ||
      offsets[1] > dataLength
    ) {
      throw new InvalidArgumentError(
        `${where}.data_offsets`,
        offsets,
        `[begin, end] with 0 <= begin <= end <= ${dataLength}`,
      );
    }
    const n = tensorElementCount(shape);
    const [begin, end] = offsets as [number, number];
    if (end - begin !== n * DTYPE_BYTES[dtype]) {
      throw new InvalidArgumentError(
        `${where}.data_offsets`,
        offsets,
        `a range of ${n * DTYPE_BYTES[dtype]} bytes (${n} x ${dtype})`,
      );
    }
    const raw = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (dtype === 'F32') data[i] = raw.getFloat32(i * 4, true);
      else if (dtype === 'F16') data[i] = float16BitsToFloat32(raw.getUint16(i * 2, true));
      else if (dtype === 'BF16') data[i] = bfloat16BitsToFloat32(raw.getUint16(i * 2, true));
      else data[i] = raw.getFloat64(i * 8, true);
    }
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}

/** Reads and parses a .safetensors file. */
export function readSafetensorsFile(file: string): SafeTensorsFile {
  if (!fs.existsSync(file)) throw new MissingResourceError(file, `LoRA file ${file} does not exist`);
  return parseSafetensors(fs.readFileSync(file), file);
}

/** Writes float32 tensors as a safetensors file's bytes (F32 or F16); used to make LoRA files and test inputs. */
export function encodeSafetensors(
  tensors: Record<string, { shape: number[]; data: ArrayLike<number>; dtype?: 'F32' | 'F16' }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype ?? 'F32';
    const n = tensorElementCount(t.shape);
    if (t.data.length !== n)
      throw new InvalidArgumentError(
        `tensors[${JSON.stringify(name)}].data`,
        `${t.data.length} values`,
        `${n} values for shape [${t.shape.join(', ')}]`,
      );
    const blob = new Uint8Array(n * DTYPE_BYTES[dtype]);
    const v = new DataView(blob.buffer);
    for (let i = 0; i < n; i++) {
      if (dtype === 'F32') v.setFloat32(i * 4, t.data[i], true);
      else v.setUint16(i * 2, float32ToFloat16Bits(t.data[i]), true);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  if (metadata) header.__metadata__ = metadata;
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([lengthBytes, json, ...blobs]));
}
