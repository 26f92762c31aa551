import { InvalidArgumentError, requireFinite, requireInteger, requireOneOf } from '../core/errors.js';
import { checkImagePair } from './psnr.js';

/** Image geometry and SSIM constants. */
export interface SsimOptions {
  width: number;
  height: number;
  channels: number;
  /** Memory order of the pixels: 'chw' (planar, as the pipeline's tensors; default) or 'hwc' (interleaved, as PNG bytes). */
  layout?: 'chw' | 'hwc';
  /** Span of valid pixel values, L in the paper (default 1 for [0, 1] images; 255 for bytes). */
  dataRange?: number;
}

/** Side of the Gaussian window (Wang et al. 2004, sec. III-C). */
export const SSIM_WINDOW = 11;
/** Standard deviation of the Gaussian window. */
export const SSIM_SIGMA = 1.5;
export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;

/** The normalised 1-D Gaussian whose outer product with itself is the 11x11 window (sigma 1.5). */
function gaussian1d(): Float64Array {
  const half = (SSIM_WINDOW - 1) / 2;
  const g = new Float64Array(SSIM_WINDOW);
  let sum = 0;
  for (let i = 0; i < SSIM_WINDOW; i++) {
    g[i] = Math.exp(-((i - half) ** 2) / (2 * SSIM_SIGMA * SSIM_SIGMA));
    sum += g[i];
  }
  for (let i = 0; i < SSIM_WINDOW; i++) g[i] /= sum;
  return g;
}

/** 'valid' separable filtering of one h x w plane with `g`: out is (h - 10) x (w - 10). */
function filterValid(plane: Float64Array, w: number, h: number, g: Float64Array): Float64Array {
  const k = g.length;
  const ow = w - k + 1;
  const oh = h - k + 1;
  const rows = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += g[t] * plane[y * w + x + t];
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += g[t] * rows[(y + t) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** num / den, or 1 for 0 / 0 (only when C1 or C2 underflowed to 0: equal zero moments, the limit is 1). */
function ratioOrOne(num: number, den: number): number {
  return num === 0 && den === 0 ? 1 : num / den;
}

/**
 * Mean structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004, eq. 13 and the mean SSIM of
 * eq. 17), as in the authors' MATLAB ssim_index: an 11x11 Gaussian window with sigma 1.5,
 * K1 = 0.01, K2 = 0.03, C1 = (K1 L)^2, C2 = (K2 L)^2, local moments weighted by the window without
 * the N/(N-1) correction, the map taken only where the window fits (no padding), averaged over
 * positions and then over channels. Needs width and height >= 11. Identical images give exactly 1.
 * (skimage's default is a 7x7 uniform window with sample covariance; its `gaussian_weights=True,
 * use_sample_covariance=False, sigma=1.5` option matches this function.)
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, options: SsimOptions): number {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options', options, 'expected {width, height, channels, layout?, dataRange?}');
  }
  const width = requireInteger('width', options.width, SSIM_WINDOW);
  const height = requireInteger('height', options.height, SSIM_WINDOW);
  const channels = requireInteger('channels', options.channels, 1);
  const layout = requireOneOf('layout', options.layout ?? 'chw', ['chw', 'hwc'] as const);
  const L = requireFinite('dataRange', options.dataRange ?? 1, Number.MIN_VALUE);
  checkImagePair(a, b);
  const n = width * height;
  if (a.length !== n * channels) {
    throw new InvalidArgumentError('a.length', a.length, `expected width * height * channels = ${n * channels}`);
  }
  // SSIM is unchanged when the pixels and L are divided by the same s (C1, C2 scale as L^2, like the
  // moments). Dividing by the largest of L and |pixel| keeps every square finite at any value range
  // (1e200 would overflow to Infinity and give Infinity / Infinity = NaN).
  let s = L;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  const C1 = (SSIM_K1 * (L / s)) ** 2;
  const C2 = (SSIM_K2 * (L / s)) ** 2;
  const g = gaussian1d();
  let total = 0;
  for (let c = 0; c < channels; c++) {
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const at = layout === 'chw' ? c * n + i : i * channels + c;
      x[i] = a[at] / s;
      y[i] = b[at] / s;
    }
    const xx = new Float64Array(n);
    const yy = new Float64Array(n);
    const xy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      xx[i] = x[i] * x[i];
      yy[i] = y[i] * y[i];
      xy[i] = x[i] * y[i];
    }
    const muX = filterValid(x, width, height, g);
    const muY = filterValid(y, width, height, g);
    const eXX = filterValid(xx, width, height, g);
    const eYY = filterValid(yy, width, height, g);
    const eXY = filterValid(xy, width, height, g);
    let sum = 0;
    for (let i = 0; i < muX.length; i++) {
      const sigmaX2 = eXX[i] - muX[i] * muX[i];
      const sigmaY2 = eYY[i] - muY[i] * muY[i];
      const sigmaXY = eXY[i] - muX[i] * muY[i];
      const luminance = ratioOrOne(2 * muX[i] * muY[i] + C1, muX[i] * muX[i] + muY[i] * muY[i] + C1);
      sum += luminance * ratioOrOne(2 * sigmaXY + C2, sigmaX2 + sigmaY2 + C2);
    }
    total += sum / muX.length;
  }
  return total / channels;
}
