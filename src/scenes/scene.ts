import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** The attributes a scene is drawn from; its caption is made from them, so metrics can check them. */
export const SCENE_ATTRIBUTES = {
  timeOfDay: ['sunrise', 'noon', 'sunset', 'night'],
  terrain: ['mountains', 'hills', 'ocean', 'desert'],
  palette: ['warm', 'cool', 'purple', 'golden'],
  style: ['oil painting', 'flat'],
} as const;

export type TimeOfDay = (typeof SCENE_ATTRIBUTES.timeOfDay)[number];
export type Terrain = (typeof SCENE_ATTRIBUTES.terrain)[number];
export type Palette = (typeof SCENE_ATTRIBUTES.palette)[number];
export type SceneStyle = (typeof SCENE_ATTRIBUTES.style)[number];

export interface SceneSpec {
  timeOfDay: TimeOfDay;
  terrain: Terrain;
  palette: Palette;
  style: SceneStyle;
  /** A sun by day, a moon at night. */
  celestial: boolean;
  clouds: boolean;
  /** Only at night. */
  stars: boolean;
}

export interface Scene {
  spec: SceneSpec;
  caption: string;
  width: number;
  height: number;
  /** RGB in [0, 1], channel-first (CHW): pixels[c * H * W + y * W + x]. */
  pixels: Float32Array;
}

type Rgb = [number, number, number];

/** Draws a random scene specification (uniform over the attribute values; extras with probability 1/2). */
export function randomSceneSpec(rng: Rng): SceneSpec {
  const pick = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng.uniform1() * xs.length))];
  const timeOfDay = pick(SCENE_ATTRIBUTES.timeOfDay);
  return {
    timeOfDay,
    terrain: pick(SCENE_ATTRIBUTES.terrain),
    palette: pick(SCENE_ATTRIBUTES.palette),
    style: pick(SCENE_ATTRIBUTES.style),
    celestial: rng.uniform1() < 0.5,
    clouds: rng.uniform1() < 0.5,
    stars: timeOfDay === 'night' && rng.uniform1() < 0.5,
  };
}

/** The caption of a scene, e.g. "a beautiful sunset over mountains, oil painting style, warm colors". */
export function sceneCaption(spec: SceneSpec): string {
  const extras: string[] = [];
  if (spec.celestial) extras.push(spec.timeOfDay === 'night' ? 'the moon' : 'the sun');
  if (spec.clouds) extras.push('clouds');
  if (spec.stars) extras.push('stars');
  const time = spec.timeOfDay === 'noon' || spec.timeOfDay === 'night' ? `${spec.timeOfDay} sky` : spec.timeOfDay;
  const withPart = extras.length ? ` with ${joinWords(extras)}` : '';
  return `a beautiful ${time} over ${spec.terrain}${withPart}, ${spec.style} style, ${spec.palette} colors`;
}

/**
 * Reads the attributes back from a prompt. Words it does not know are returned in `unknownWords`
 * (reported, never silently dropped); attributes the prompt does not name are left out.
 */
export function parseScenePrompt(prompt: string): { spec: Partial<SceneSpec>; unknownWords: string[] } {
  if (typeof prompt !== 'string') throw new InvalidArgumentError('prompt', prompt, 'expected a string');
  const text = ` ${prompt
    .toLowerCase()
    .replace(/[^a-z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()} `;
  const spec: Partial<SceneSpec> = {};
  let rest = text;
  const take = (phrase: string): boolean => {
    const key = ` ${phrase} `;
    if (!rest.includes(key)) return false;
    rest = rest.replace(key, ' ');
    return true;
  };
  for (const s of SCENE_ATTRIBUTES.style) if (take(`${s} style`) || take(s)) spec.style = s;
  for (const p of SCENE_ATTRIBUTES.palette)
    if (take(`${p} colors`) || take(`${p} colours`) || take(p)) spec.palette = p;
  for (const t of SCENE_ATTRIBUTES.timeOfDay) if (take(`${t} sky`) || take(t)) spec.timeOfDay = t;
  for (const t of SCENE_ATTRIBUTES.terrain) if (take(t)) spec.terrain = t;
  if (take('the sun') || take('sun')) spec.celestial = true;
  if (take('the moon') || take('moon')) spec.celestial = true;
  if (take('clouds') || take('cloud')) spec.clouds = true;
  if (take('stars') || take('star')) spec.stars = true;
  const filler = new Set([
    'a',
    'an',
    'the',
    'beautiful',
    'over',
    'with',
    'and',
    'style',
    'colors',
    'colours',
    'sky',
    'of',
    'in',
  ]);
  const unknownWords = rest
    .trim()
    .split(' ')
    .filter((w) => w.length > 0 && !filler.has(w));
  return { spec, unknownWords };
}

/**
 * Renders a scene deterministically from (spec, seed): sky gradient by time of day and palette,
 * sun or moon, stars, clouds, terrain silhouette, then the style (brush texture for "oil painting",
 * posterised flat colours for "flat"). Returns CHW RGB in [0, 1].
 */
export function renderScene(spec: SceneSpec, seed: number, size = 64): Scene {
  validateSpec(spec);
  requireInteger('size', size, 16, 1024);
  requireInteger('seed', seed, 0);
  const rng = new Rng(seed);
  const W = size;
  const H = size;
  const img = new Float32Array(3 * H * W);
  const [skyTop, skyBottom] = skyColours(spec);
  const horizon = 0.55 + 0.1 * (rng.uniform1() - 0.5);

  // Sky.
  for (let y = 0; y < H; y++) {
    const v = y / (H - 1) / horizon;
    const c = mix(skyTop, skyBottom, Math.min(1, v));
    for (let x = 0; x < W; x++) put(img, W, H, x, y, c);
  }
  // Stars (night only).
  if (spec.stars) {
    const n = Math.round((W * H) / 90);
    for (let i = 0; i < n; i++) {
      const x = Math.floor(rng.uniform1() * W);
      const y = Math.floor(rng.uniform1() * H * horizon * 0.9);
      put(img, W, H, x, y, [0.95, 0.95, 0.85]);
    }
  }
  // Sun or moon.
  if (spec.celestial) {
    const cx = (0.2 + 0.6 * rng.uniform1()) * W;
    const rise = spec.timeOfDay === 'noon' || spec.timeOfDay === 'night' ? 0.25 : 0.72;
    const cy = rise * horizon * H;
    const r = (spec.timeOfDay === 'night' ? 0.07 : 0.1) * W;
    const col: Rgb =
      spec.timeOfDay === 'night' ? [0.93, 0.93, 0.86] : spec.timeOfDay === 'noon' ? [1, 0.98, 0.8] : [1, 0.75, 0.35];
    disc(img, W, H, cx, cy, r, col, 1);
    disc(img, W, H, cx, cy, r * 1.8, col, 0.25);
  }
  // Clouds.
  if (spec.clouds) {
    const col: Rgb =
      spec.timeOfDay === 'night'
        ? [0.35, 0.35, 0.45]
        : spec.timeOfDay === 'noon'
          ? [0.97, 0.97, 0.99]
          : [0.98, 0.72, 0.62];
    const n = 2 + Math.floor(rng.uniform1() * 2);
    for (let k = 0; k < n; k++) {
      const cx = rng.uniform1() * W;
      const cy = (0.12 + 0.3 * rng.uniform1()) * H * horizon;
      for (let j = 0; j < 4; j++) {
        ellipse(img, W, H, cx + (j - 1.5) * 0.06 * W, cy + (j % 2) * 0.02 * H, 0.08 * W, 0.045 * H, col, 0.85);
      }
    }
  }
  // Terrain.
  drawTerrain(img, W, H, spec, horizon, rng);
  // Style.
  if (spec.style === 'oil painting') brushTexture(img, W, H, rng);
  else posterise(img, 5);
  return { spec: { ...spec }, caption: sceneCaption(spec), width: W, height: H, pixels: img };
}

/** A deterministic data set: scene i is drawn from Rng(seed + i). */
export function sceneDataset(count: number, seed: number, size = 64): Scene[] {
  requireInteger('count', count, 0, 1_000_000);
  requireInteger('seed', seed, 0);
  const out: Scene[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(seed + i);
    out.push(renderScene(randomSceneSpec(rng), rng.nextUint32(), size));
  }
  return out;
}

function validateSpec(spec: SceneSpec): void {
  if (spec === null || typeof spec !== 'object')
    throw new InvalidArgumentError('spec', spec, 'expected a SceneSpec object');
  for (const key of Object.keys(SCENE_ATTRIBUTES) as (keyof typeof SCENE_ATTRIBUTES)[]) {
    const allowed = SCENE_ATTRIBUTES[key] as readonly string[];
    if (!allowed.includes(spec[key] as string)) {
      throw new InvalidArgumentError(
        `spec.${key}`,
        spec[key],
        `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
      );
    }
  }
  if (spec.stars && spec.timeOfDay !== 'night')
    throw new InvalidArgumentError('spec.stars', spec.stars, 'stars are drawn only at night');
}

function skyColours(spec: SceneSpec): [Rgb, Rgb] {
  const base: Record<TimeOfDay, [Rgb, Rgb]> = {
    sunrise: [
      [0.45, 0.55, 0.85],
      [1.0, 0.72, 0.5],
    ],
    noon: [
      [0.25, 0.5, 0.95],
      [0.7, 0.85, 1.0],
    ],
    sunset: [
      [0.35, 0.2, 0.5],
      [1.0, 0.5, 0.2],
    ],
    night: [
      [0.02, 0.03, 0.12],
      [0.1, 0.12, 0.3],
    ],
  };
  const tint: Record<Palette, Rgb> = {
    warm: [1.15, 0.95, 0.8],
    cool: [0.8, 0.95, 1.15],
    purple: [1.05, 0.8, 1.2],
    golden: [1.2, 1.05, 0.6],
  };
  const [top, bottom] = base[spec.timeOfDay];
  const t = tint[spec.palette];
  return [mul(top, t), mul(bottom, t)];
}

function drawTerrain(img: Float32Array, W: number, H: number, spec: SceneSpec, horizon: number, rng: Rng): void {
  const dark = spec.timeOfDay === 'night' ? 0.35 : spec.timeOfDay === 'noon' ? 1 : 0.7;
  const colours: Record<Terrain, [Rgb, Rgb]> = {
    mountains: [
      [0.35, 0.33, 0.4],
      [0.2, 0.22, 0.25],
    ],
    hills: [
      [0.3, 0.6, 0.3],
      [0.15, 0.4, 0.15],
    ],
    ocean: [
      [0.1, 0.35, 0.6],
      [0.05, 0.2, 0.4],
    ],
    desert: [
      [0.9, 0.75, 0.45],
      [0.75, 0.55, 0.3],
    ],
  };
  const [near, far] = colours[spec.terrain].map((c) => scale(c, dark)) as [Rgb, Rgb];
  const phase = rng.uniform1() * Math.PI * 2;
  const peaks = [0.15 + 0.7 * rng.uniform1(), 0.15 + 0.7 * rng.uniform1(), 0.15 + 0.7 * rng.uniform1()];
  for (let x = 0; x < W; x++) {
    const u = x / (W - 1);
    let top: number;
    switch (spec.terrain) {
      case 'mountains': {
        let h = 0;
        for (const p of peaks) h = Math.max(h, 0.32 - 1.1 * Math.abs(u - p));
        top = horizon - h;
        break;
      }
      case 'hills':
        top = horizon - 0.08 - 0.06 * Math.sin(u * 7 + phase);
        break;
      case 'ocean':
        top = horizon;
        break;
      case 'desert':
        top = horizon + 0.04 - 0.04 * Math.sin(u * 4 + phase);
        break;
    }
    const y0 = Math.max(0, Math.floor(top * H));
    for (let y = y0; y < H; y++) {
      const depth = (y - y0) / Math.max(1, H - y0);
      let c = mix(far, near, depth);
      if (spec.terrain === 'ocean' && (y - y0) % 4 === 1) c = scale(c, 1.35);
      if (spec.terrain === 'mountains' && y - y0 < 2 && spec.timeOfDay !== 'night') c = [0.92, 0.92, 0.95];
      put(img, W, H, x, y, c);
    }
  }
}

function brushTexture(img: Float32Array, W: number, H: number, rng: Rng): void {
  // Short horizontal strokes of correlated brightness: the "oil painting" look.
  const plane = W * H;
  for (let y = 0; y < H; y++) {
    let x = 0;
    while (x < W) {
      const len = 2 + Math.floor(rng.uniform1() * 5);
      const g = 1 + 0.14 * (rng.uniform1() - 0.5);
      for (let k = 0; k < len && x < W; k++, x++) {
        for (let c = 0; c < 3; c++) img[c * plane + y * W + x] = clamp01(img[c * plane + y * W + x] * g);
      }
    }
  }
}

function posterise(img: Float32Array, levels: number): void {
  for (let i = 0; i < img.length; i++) img[i] = Math.round(clamp01(img[i]) * (levels - 1)) / (levels - 1);
}

function disc(
  img: Float32Array,
  W: number,
  H: number,
  cx: number,
  cy: number,
  r: number,
  col: Rgb,
  alpha: number,
): void {
  ellipse(img, W, H, cx, cy, r, r, col, alpha);
}

function ellipse(
  img: Float32Array,
  W: number,
  H: number,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  col: Rgb,
  alpha: number,
): void {
  const plane = W * H;
  for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(H - 1, Math.ceil(cy + ry)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(W - 1, Math.ceil(cx + rx)); x++) {
      const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      if (d > 1) continue;
      for (let c = 0; c < 3; c++) {
        const i = c * plane + y * W + x;
        img[i] = img[i] * (1 - alpha) + col[c] * alpha;
      }
    }
  }
}

function put(img: Float32Array, W: number, H: number, x: number, y: number, c: Rgb): void {
  const plane = W * H;
  for (let ch = 0; ch < 3; ch++) img[ch * plane + y * W + x] = clamp01(c[ch]);
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function mul(a: Rgb, b: Rgb): Rgb {
  return [clamp01(a[0] * b[0]), clamp01(a[1] * b[1]), clamp01(a[2] * b[2])];
}

function scale(a: Rgb, s: number): Rgb {
  return [clamp01(a[0] * s), clamp01(a[1] * s), clamp01(a[2] * s)];
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
