import sharp from 'sharp';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { checkRawImage, decodeImage, type RawImage } from './tensorPng.js';

/** A grid cell: PNG bytes (e.g. from tensorToPng) or 8-bit interleaved pixels. */
export type GridImage = Uint8Array | RawImage;

/**
 * Caption backgrounds of the course's speed colour code: green for fast configurations, yellow for
 * middling, red for slow (light tints, so black caption text stays readable).
 */
export const GRID_SPEED_COLORS = { fast: '#b7e4c7', medium: '#ffe69c', slow: '#f5b7b1' } as const;

export interface ImageGridOptions {
  /** Cells per row; default min(number of images, 8). */
  columns?: number;
  /** One caption per image, drawn under it. */
  labels?: readonly string[];
  /** Caption background per image (CSS colour such as '#b7e4c7' or 'white'); undefined entries stay plain. */
  labelColors?: readonly (string | undefined)[];
  /** Integer nearest-neighbour upscale factor; default: the largest that keeps the biggest image within 128 px (at least 1). */
  cellScale?: number;
  /** A title line above the grid (e.g. what was generated: "measured here: DDIM, seed 0"). */
  title?: string;
  /** Canvas colour, default '#ffffff'. */
  background?: string;
  /** Space around cells in pixels, default 6. */
  padding?: number;
  /**
   * Caption font size in pixels (DejaVu Sans); default 13, or larger for large cells (a twelfth of
   * the cell width, up to 24) so that the text stays readable when the notebook shows a wide grid
   * scaled down. Never below MIN_LABEL_FONT_PX.
   */
  fontSize?: number;
}

const COLOR =
  /^(#([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})|[a-z]{3,20}|rgba?\(\s*[\d.]+%?\s*,\s*[\d.]+%?\s*,\s*[\d.]+%?\s*(,\s*[\d.]+\s*)?\))$/i;

function checkColor(field: string, value: unknown): string {
  if (typeof value !== 'string' || !COLOR.test(value)) {
    throw new InvalidArgumentError(
      field,
      value,
      "expected a CSS colour: '#rgb', '#rrggbb', a name like 'white', or 'rgb(r, g, b)'",
    );
  }
  return value;
}

function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Captions and titles are never drawn smaller than this (pixels): below it they are unreadable on screen. */
export const MIN_LABEL_FONT_PX = 11;

/**
 * Breaks `text` into at most `maxLines` lines of about `maxWidth` pixels at `fontSize` (at spaces when
 * it can, else mid-word); only what still does not fit ends in an ellipsis.
 */
export function wrapText(text: string, maxWidth: number, fontSize: number, maxLines: number): string[] {
  const maxChars = Math.max(1, Math.floor(maxWidth / (fontSize * 0.6)));
  const lines: string[] = [];
  let rest = Array.from(text.trim());
  while (rest.length > 0 && lines.length < maxLines) {
    if (rest.length <= maxChars) {
      lines.push(rest.join(''));
      rest = [];
      break;
    }
    let cut = rest.lastIndexOf(' ', maxChars);
    if (cut <= 0) cut = maxChars;
    lines.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(cut);
    while (rest[0] === ' ') rest = rest.slice(1);
  }
  if (rest.length > 0)
    lines[lines.length - 1] = fitText(lines[lines.length - 1] + ' ' + rest.join(''), maxWidth, fontSize);
  return lines;
}

/** Shortens `text` with an ellipsis to about `maxWidth` pixels of DejaVu Sans at `fontSize` (0.6 em per character, a safe overestimate). */
function fitText(text: string, maxWidth: number, fontSize: number): string {
  const maxChars = Math.max(1, Math.floor(maxWidth / (fontSize * 0.6)));
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : chars.slice(0, Math.max(1, maxChars - 1)).join('') + '\u2026';
}

/** Any 8-bit image as RGBA. */
function toRgba(image: RawImage): RawImage {
  const { data, width, height, channels } = image;
  if (channels === 4) return image;
  const out = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    const d = p * 4;
    if (channels <= 2) {
      out[d] = out[d + 1] = out[d + 2] = data[s];
      out[d + 3] = channels === 2 ? data[s + 1] : 255;
    } else {
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
      out[d + 3] = 255;
    }
  }
  return { data: out, width, height, channels: 4 };
}

/** Nearest-neighbour upscale by an integer factor: each pixel becomes a scale x scale block (sharp pixels, no blur). */
export function upscaleNearest(image: RawImage, scale: number): RawImage {
  const { data, width, height, channels } = checkRawImage('image', image);
  requireInteger('scale', scale, 1, 64);
  if (scale === 1) return image;
  const w = width * scale;
  const out = new Uint8Array(w * height * scale * channels);
  for (let y = 0; y < height * scale; y++) {
    const srcRow = Math.floor(y / scale) * width;
    for (let x = 0; x < w; x++) {
      const s = (srcRow + Math.floor(x / scale)) * channels;
      const d = (y * w + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c];
    }
  }
  return { data: out, width: w, height: height * scale, channels };
}

/**
 * Lays images out in a labelled grid and returns it as a PNG: cells upscaled with nearest
 * neighbour (small 32-64 px samples stay crisp), a caption under each cell rendered as SVG text
 * (DejaVu Sans) with an optional background colour (see GRID_SPEED_COLORS), and an optional title.
 */
export async function imageGrid(images: readonly GridImage[], options: ImageGridOptions = {}): Promise<Buffer> {
  if (!Array.isArray(images) || images.length === 0) {
    throw new InvalidArgumentError('images', images, 'expected a non-empty array of PNG buffers or raw images');
  }
  const n = images.length;
  const columns = requireInteger('columns', options.columns ?? Math.min(n, 8), 1, 1000);
  const padding = requireInteger('padding', options.padding ?? 6, 0, 256);
  const askedFont = options.fontSize === undefined ? undefined : requireInteger('fontSize', options.fontSize, 6, 96);
  const background = checkColor('background', options.background ?? '#ffffff');
  const labels = options.labels;
  if (labels !== undefined) {
    if (!Array.isArray(labels) || labels.length !== n) {
      throw new InvalidArgumentError(
        'labels.length',
        Array.isArray(labels) ? labels.length : labels,
        `expected one label per image (${n})`,
      );
    }
    labels.forEach((l, i) => {
      if (typeof l !== 'string') throw new InvalidArgumentError(`labels[${i}]`, l, 'expected a string');
    });
  }
  const colors = options.labelColors;
  if (colors !== undefined) {
    if (!Array.isArray(colors) || colors.length > n) {
      throw new InvalidArgumentError('labelColors', colors, `expected an array of at most ${n} colours`);
    }
    colors.forEach((c, i) => {
      if (c !== undefined) checkColor(`labelColors[${i}]`, c);
    });
  }
  if (options.title !== undefined && typeof options.title !== 'string') {
    throw new InvalidArgumentError('title', options.title, 'expected a string');
  }

  const decoded: RawImage[] = [];
  for (let i = 0; i < n; i++) {
    const img = images[i];
    if (img instanceof Uint8Array) {
      let raw: RawImage;
      try {
        raw = await decodeImage(img);
      } catch {
        throw new InvalidArgumentError(
          `images[${i}]`,
          `<${img.length} bytes>`,
          'expected PNG bytes or {data, width, height, channels}',
        );
      }
      decoded.push(toRgba(raw));
    } else {
      decoded.push(toRgba(checkRawImage(`images[${i}]`, img)));
    }
  }
  const largest = Math.max(...decoded.map((d) => Math.max(d.width, d.height)));
  const scale = requireInteger('cellScale', options.cellScale ?? Math.max(1, Math.floor(128 / largest)), 1, 64);
  const cells = decoded.map((d) => upscaleNearest(d, scale));
  const cellW = Math.max(...cells.map((c) => c.width));
  const cellH = Math.max(...cells.map((c) => c.height));
  const fontSize = Math.max(MIN_LABEL_FONT_PX, askedFont ?? Math.min(24, Math.max(13, Math.round(cellW / 12))));
  const lineH = Math.ceil(fontSize * 1.25);
  const wrapped = labels ? labels.map((l) => wrapText(l, cellW - 4, fontSize, 2)) : [];
  const captionLines = Math.max(1, ...wrapped.map((w) => w.length));
  const captionH = labels ? Math.ceil(fontSize * 0.45) + captionLines * lineH : 0;
  const titleSize = fontSize + 3;
  const rows = Math.ceil(n / columns);
  const usedColumns = Math.min(columns, n);
  const width = padding + usedColumns * (cellW + padding);
  const titleLines = options.title ? wrapText(options.title, width - 2 * padding, titleSize, 3) : [];
  const titleLineH = Math.ceil(titleSize * 1.3);
  const titleH = options.title ? titleLines.length * titleLineH + Math.ceil(titleSize * 0.4) : 0;
  const height = titleH + padding + rows * (cellH + captionH + padding);

  const composites: {
    input: Buffer;
    raw?: { width: number; height: number; channels: 4 };
    left: number;
    top: number;
  }[] = [];
  const svg: string[] = [];
  cells.forEach((cell, i) => {
    const x0 = padding + (i % columns) * (cellW + padding);
    const y0 = titleH + padding + Math.floor(i / columns) * (cellH + captionH + padding);
    composites.push({
      input: Buffer.from(cell.data.buffer, cell.data.byteOffset, cell.data.byteLength),
      raw: { width: cell.width, height: cell.height, channels: 4 },
      left: x0 + Math.floor((cellW - cell.width) / 2),
      top: y0 + Math.floor((cellH - cell.height) / 2),
    });
    if (labels) {
      const fill = colors?.[i];
      const cy = y0 + cellH;
      if (fill !== undefined)
        svg.push(
          `<rect x="${x0}" y="${cy + 1}" width="${cellW}" height="${captionH - 2}" rx="3" fill="${xmlEscape(fill)}"/>`,
        );
      const lines = wrapped[i];
      const top = cy + (captionH - lines.length * lineH) / 2;
      lines.forEach((line, j) => {
        svg.push(
          `<text x="${x0 + cellW / 2}" y="${top + (j + 0.5) * lineH}" dominant-baseline="central" text-anchor="middle">${xmlEscape(line)}</text>`,
        );
      });
    }
  });
  if (options.title) {
    titleLines.forEach((line, j) => {
      svg.push(
        `<text x="${padding}" y="${padding + (j + 0.5) * titleLineH}" dominant-baseline="central" font-size="${titleSize}" font-weight="bold">${xmlEscape(line)}</text>`,
      );
    });
  }
  if (svg.length > 0) {
    const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#111111">${svg.join('')}</svg>`;
    composites.push({ input: Buffer.from(doc), left: 0, top: 0 });
  }
  return sharp({ create: { width, height, channels: 4, background } })
    .composite(composites)
    .png()
    .toBuffer();
}
