import sharp from 'sharp';
import { InvalidArgumentError, NumericalError, requireInteger, requireOneOf } from '../core/errors.js';

/** Memory order of an image tensor: channel planes (`chw`, what the VAE decoder outputs) or interleaved pixels (`hwc`). */
export type TensorLayout = 'chw' | 'hwc';

/** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
export type ImageChannels = 1 | 2 | 3 | 4;

/** The allowed tensor layouts. */
export const TENSOR_LAYOUTS: readonly TensorLayout[] = ['chw', 'hwc'];

/** Shape and value range of one image tensor (no batch dimension: pass `tensor.subarray(...)` for one image of a batch). */
export interface TensorImageOptions {
  width: number;
  height: number;
  channels: ImageChannels;
  /** Default 'chw'. */
  layout?: TensorLayout;
  /** The values that map to black and white: [-1, 1] (default, VAE output) or [0, 1], or any [lo, hi]. */
  range?: readonly [number, number];
}

/** An 8-bit image with interleaved channels (row-major, HWC): the raw form sharp reads and writes. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: ImageChannels;
}

const MAX_SIDE = 16384;

interface CheckedShape {
  width: number;
  height: number;
  channels: ImageChannels;
  layout: TensorLayout;
  lo: number;
  hi: number;
}

function checkShape(options: TensorImageOptions): CheckedShape {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options', options, 'expected {width, height, channels, layout?, range?}');
  }
  const width = requireInteger('width', options.width, 1, MAX_SIDE);
  const height = requireInteger('height', options.height, 1, MAX_SIDE);
  const channels = requireInteger('channels', options.channels, 1, 4) as ImageChannels;
  const layout = requireOneOf('layout', options.layout ?? 'chw', TENSOR_LAYOUTS);
  const range = options.range ?? [-1, 1];
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !range.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
    !(range[0] < range[1])
  ) {
    throw new InvalidArgumentError('range', range, 'expected [lo, hi] with finite lo < hi, e.g. [-1, 1] or [0, 1]');
  }
  return { width, height, channels, layout, lo: range[0], hi: range[1] };
}

/**
 * Converts a float image tensor to 8-bit interleaved pixels in one pass: CHW -> HWC, maps `range`
 * linearly onto 0..255, rounds to nearest and clamps. (sharp reads a Float32Array as 16-bit data,
 * so floats must be converted before they reach it.) Throws NumericalError on NaN or infinity.
 */
export function tensorToRawImage(tensor: ArrayLike<number>, options: TensorImageOptions): RawImage {
  const { width, height, channels, layout, lo, hi } = checkShape(options);
  const n = width * height * channels;
  if (tensor === null || typeof tensor !== 'object' || typeof tensor.length !== 'number') {
    throw new InvalidArgumentError('tensor', tensor, 'expected a typed array or array of numbers');
  }
  if (tensor.length !== n) {
    throw new InvalidArgumentError(
      'tensor.length',
      tensor.length,
      `expected width*height*channels = ${width}*${height}*${channels} = ${n}`,
    );
  }
  const scale = 255 / (hi - lo);
  const plane = width * height;
  const data = new Uint8Array(n);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const src = layout === 'chw' ? c * plane + p : p * channels + c;
      const v = tensor[src];
      if (!Number.isFinite(v)) {
        throw new NumericalError('tensorToPng', `tensor element ${src} is ${v}; image values must be finite`);
      }
      const u = Math.round((v - lo) * scale);
      data[p * channels + c] = u < 0 ? 0 : u > 255 ? 255 : u;
    }
  }
  return { data, width, height, channels };
}

/** Checks a RawImage's fields and data length, naming `field` in the error. */
export function checkRawImage(field: string, image: RawImage): RawImage {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array)) {
    throw new InvalidArgumentError(field, image, 'expected {data: Uint8Array, width, height, channels}');
  }
  const width = requireInteger(`${field}.width`, image.width, 1, MAX_SIDE);
  const height = requireInteger(`${field}.height`, image.height, 1, MAX_SIDE);
  const channels = requireInteger(`${field}.channels`, image.channels, 1, 4);
  if (image.data.length !== width * height * channels) {
    throw new InvalidArgumentError(
      `${field}.data.length`,
      image.data.length,
      `expected width*height*channels = ${width * height * channels}`,
    );
  }
  return image;
}

/** Encodes 8-bit interleaved pixels as a PNG (lossless). */
export async function rawImageToPng(image: RawImage): Promise<Buffer> {
  const { data, width, height, channels } = checkRawImage('image', image);
  // sharp converts to sRGB on output unless told otherwise: keep gray images gray.
  const pipeline = sharp(data, { raw: { width, height, channels } });
  return (channels <= 2 ? pipeline.toColourspace('b-w') : pipeline).png().toBuffer();
}

/** Encodes a float image tensor (CHW or HWC, values in `range`) as a PNG. See tensorToRawImage for the mapping. */
export async function tensorToPng(tensor: ArrayLike<number>, options: TensorImageOptions): Promise<Buffer> {
  return rawImageToPng(tensorToRawImage(tensor, options));
}

export interface DecodeOptions {
  /** Convert to this many channels (1 gray, 3 RGB, 4 RGBA); default: as stored in the file. */
  channels?: ImageChannels;
}

/** Decodes a PNG (or any format sharp reads) to 8-bit interleaved pixels. Throws InvalidArgumentError on bytes sharp cannot read. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  if (!(bytes instanceof Uint8Array))
    throw new InvalidArgumentError('png', bytes, 'expected the bytes of an image file');
  const requested =
    options.channels === undefined ? undefined : (requireInteger('channels', options.channels, 1, 4) as ImageChannels);
  let stored: number | undefined;
  try {
    stored = (await sharp(bytes).metadata()).channels;
  } catch (e) {
    throw new InvalidArgumentError(
      'png',
      `<${bytes.length} bytes>`,
      `expected an image sharp can decode (${(e as Error).message})`,
    );
  }
  // sharp's raw output is sRGB unless told otherwise, so name the colour space for every channel count.
  const wanted = requested ?? ((stored ?? 3) as ImageChannels);
  let pipeline = sharp(bytes);
  if (wanted === 1 || wanted === 3) pipeline = pipeline.removeAlpha();
  pipeline = pipeline.toColourspace(wanted <= 2 ? 'b-w' : 'srgb');
  if (wanted === 2 || wanted === 4) pipeline = pipeline.ensureAlpha();
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    out = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new InvalidArgumentError(
      'png',
      `<${bytes.length} bytes>`,
      `expected an image sharp can decode (${(e as Error).message})`,
    );
  }
  const { width, height, channels } = out.info;
  if (channels !== wanted) {
    throw new InvalidArgumentError(
      'channels',
      wanted,
      `could not convert this image (it decodes to ${channels} channels)`,
    );
  }
  const data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  return { data, width, height, channels: channels as ImageChannels };
}

export interface PngToTensorOptions extends DecodeOptions {
  /** Default 'chw'. */
  layout?: TensorLayout;
  /** The values black and white map to; default [-1, 1]. */
  range?: readonly [number, number];
}

/** A decoded image as a float tensor, with its shape. */
export interface ImageTensor {
  data: Float32Array;
  width: number;
  height: number;
  channels: ImageChannels;
  layout: TensorLayout;
}

/** Decodes a PNG into a float tensor (the inverse of tensorToPng for values on the 8-bit grid): u -> lo + u * (hi - lo) / 255. */
export async function pngToTensor(png: Uint8Array, options: PngToTensorOptions = {}): Promise<ImageTensor> {
  return rawImageToTensor(await decodeImage(png, options), options);
}

/** 8-bit interleaved pixels as a float tensor, u -> lo + u * (hi - lo) / 255 (pngToTensor without the decoding). */
export function rawImageToTensor(
  image: RawImage,
  options: Pick<PngToTensorOptions, 'layout' | 'range'> = {},
): ImageTensor {
  checkRawImage('image', image);
  const { width, height, channels } = image;
  const { layout, lo, hi } = checkShape({ width, height, channels, layout: options.layout, range: options.range });
  const step = (hi - lo) / 255;
  const plane = width * height;
  const data = new Float32Array(plane * channels);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const dst = layout === 'chw' ? c * plane + p : p * channels + c;
      data[dst] = lo + image.data[p * channels + c] * step;
    }
  }
  return { data, width, height, channels, layout };
}
