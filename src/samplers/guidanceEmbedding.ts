import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';

/**
 * The guidance-scale embedding an LCM UNet takes as `timestep_cond` (Luo et al. 2023, sec. 4.2, the
 * "w-condition"; sinusoidal features as in VDM, Kingma et al. 2021), with diffusers'
 * `get_guidance_scale_embedding` semantics: w is multiplied by 1000, frequencies are
 * exp(-k log(10000) / (half - 1)) for k < half = floor(dim / 2), the first half holds sin, the second cos,
 * and an odd `embeddingDim` is padded with one zero.
 *
 * Pass w = guidance_scale - 1, as the LCM pipeline does. An array of w gives a batch: `w.length * embeddingDim`
 * values, row by row. Computed with float32 rounding at each step, like the float32 torch reference.
 */
export function guidanceScaleEmbedding(w: number | ArrayLike<number>, embeddingDim = 512): Float32Array {
  const dim = requireInteger('embeddingDim', embeddingDim, 4, 1 << 20);
  const ws = typeof w === 'number' ? [w] : Array.from(w);
  if (ws.length === 0) throw new InvalidArgumentError('w', w, 'expected a number or a non-empty array of numbers');
  ws.forEach((v, b) => requireFinite(typeof w === 'number' ? 'w' : `w[${b}]`, v));
  const half = Math.floor(dim / 2);
  const f = Math.fround;
  const logBase = f(f(Math.log(10000)) / (half - 1));
  const freqs = new Float32Array(half);
  for (let k = 0; k < half; k++) freqs[k] = Math.exp(f(k * -logBase));
  const out = new Float32Array(ws.length * dim);
  ws.forEach((v, b) => {
    const scaled = f(f(v) * 1000);
    const row = b * dim;
    for (let k = 0; k < half; k++) {
      const arg = f(scaled * freqs[k]);
      out[row + k] = Math.sin(arg);
      out[row + half + k] = Math.cos(arg);
    }
  });
  return out;
}
