import { requireInteger } from './errors.js';

/** Anything that can hand out standard normal samples: the samplers' noise source. */
export interface NoiseSource {
  /** `n` independent N(0, 1) samples. */
  normal(n: number): Float32Array;
}

/**
 * Seeded random numbers, identical on every machine.
 *
 * Algorithm: the state is seeded with SplitMix64 (Steele, Lea, Flood 2014) from the 53-bit integer
 * seed; uniforms come from xoshiro128** (Blackman & Vigna 2018) as u = (x >>> 8) / 2^24 + 2^-25,
 * which lies in (0, 1) exactly; standard normals come from the Box-Muller transform,
 * z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2), computed in float64 and
 * rounded to float32. All integer work is 32-bit (Math.imul), so the stream does not depend on the
 * platform; Math.log/cos/sin come from V8's fdlibm port, which is the same everywhere.
 */
export class Rng implements NoiseSource {
  readonly seed: number;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number) {
    this.seed = requireInteger('seed', seed, 0, Number.MAX_SAFE_INTEGER);
    // SplitMix64 on a 64-bit state held as two 32-bit halves.
    let hi = Math.floor(seed / 2 ** 32) >>> 0;
    let lo = seed >>> 0;
    const next = (): [number, number] => {
      // state += 0x9E3779B97F4A7C15
      const addLo = (lo + 0x7f4a7c15) >>> 0;
      const carry = addLo < lo ? 1 : 0;
      hi = (hi + 0x9e3779b9 + carry) >>> 0;
      lo = addLo;
      let zh = hi;
      let zl = lo;
      // z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
      [zh, zl] = xorShiftRight64(zh, zl, 30);
      [zh, zl] = mul64(zh, zl, 0xbf58476d, 0x1ce4e5b9);
      // z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
      [zh, zl] = xorShiftRight64(zh, zl, 27);
      [zh, zl] = mul64(zh, zl, 0x94d049bb, 0x133111eb);
      // z ^ (z >>> 31)
      return xorShiftRight64(zh, zl, 31);
    };
    const [a, b] = next();
    const [c, d] = next();
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    if ((a | b | c | d) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer of xoshiro128**. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** One uniform sample in the open interval (0, 1), 24 bits of resolution. */
  uniform1(): number {
    return (this.nextUint32() >>> 8) / 16777216 + 2 ** -25;
  }

  /** One standard normal sample (float64; Box-Muller, pairs cached). */
  normal1(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = this.uniform1();
    const u2 = this.uniform1();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `n` uniform samples in (0, 1). */
  uniform(n: number): Float32Array {
    requireInteger('n', n, 0);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform1();
    return out;
  }

  /** `n` standard normal samples. */
  normal(n: number): Float32Array {
    requireInteger('n', n, 0);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal1();
    return out;
  }

  /** A new generator whose stream is independent of this one's (seeded from it). */
  fork(): Rng {
    return new Rng(this.nextUint32() * 2097152 + (this.nextUint32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function xorShiftRight64(hi: number, lo: number, k: number): [number, number] {
  // (hi:lo) ^ ((hi:lo) >>> k) for 0 < k < 32
  const shLo = ((lo >>> k) | (hi << (32 - k))) >>> 0;
  const shHi = hi >>> k;
  return [(hi ^ shHi) >>> 0, (lo ^ shLo) >>> 0];
}

function mul64(ah: number, al: number, bh: number, bl: number): [number, number] {
  // low 64 bits of (ah:al) * (bh:bl), with 16-bit limbs
  const a0 = al & 0xffff,
    a1 = al >>> 16,
    a2 = ah & 0xffff,
    a3 = ah >>> 16;
  const b0 = bl & 0xffff,
    b1 = bl >>> 16,
    b2 = bh & 0xffff,
    b3 = bh >>> 16;
  let c0 = a0 * b0;
  let c1 = (c0 >>> 16) + a1 * b0;
  let c2 = c1 >>> 16;
  c1 = (c1 & 0xffff) + a0 * b1;
  c2 += c1 >>> 16;
  c2 += a2 * b0;
  let c3 = c2 >>> 16;
  c2 = (c2 & 0xffff) + a1 * b1;
  c3 += c2 >>> 16;
  c2 = (c2 & 0xffff) + a0 * b2;
  c3 += c2 >>> 16;
  c3 += a3 * b0 + a2 * b1 + a1 * b2 + a0 * b3;
  const lo = (((c1 & 0xffff) << 16) | (c0 & 0xffff)) >>> 0;
  const hi = (((c3 & 0xffff) << 16) | (c2 & 0xffff)) >>> 0;
  return [hi, lo];
}
