#!/usr/bin/env node
/**
 * node dist/cli/exportScenes.js --count N --seed S --size P --out <file.bin>
 *
 * Writes a procedural-scene data set for the model recipe (models/recipes/scenes/): `<file>` holds
 * the pixels as uint8 CHW, image after image (count * 3 * P * P bytes, value = round(255 * x)),
 * and `<file>.json` the sidecar: { count, seed, size, layout, captions[], attributes[] }.
 * Scene i is `sceneDataset(count, seed, size)[i]`, so held-out sets simply use other seeds.
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { sceneDataset, type SceneSpec } from '../scenes/scene.js';
import { writeFileAtomicSync } from '../core/atomicFile.js';

/** The sidecar written next to the pixel file. */
export interface SceneExportSidecar {
  count: number;
  seed: number;
  size: number;
  layout: 'uint8 NCHW';
  captions: string[];
  attributes: SceneSpec[];
}

/** Renders `count` scenes from `seed` at `size` px and returns (uint8 CHW pixels, sidecar). */
export function exportScenes(count: number, seed: number, size: number): { pixels: Uint8Array; sidecar: SceneExportSidecar } {
  requireInteger('count', count, 1, 1_000_000);
  requireInteger('seed', seed, 0);
  requireInteger('size', size, 16, 1024);
  const per = 3 * size * size;
  const pixels = new Uint8Array(count * per);
  const captions: string[] = [];
  const attributes: SceneSpec[] = [];
  const chunk = 1000;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    // sceneDataset(count, seed) draws scene i from Rng(seed + i): a chunk from seed + start is the same scenes.
    const scenes = sceneDataset(n, seed + start, size);
    for (let i = 0; i < n; i++) {
      const s = scenes[i];
      const off = (start + i) * per;
      for (let k = 0; k < per; k++) pixels[off + k] = Math.round(255 * Math.min(1, Math.max(0, s.pixels[k])));
      captions.push(s.caption);
      attributes.push(s.spec);
    }
  }
  return { pixels, sidecar: { count, seed, size, layout: 'uint8 NCHW', captions, attributes } };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      seed: { type: 'string', default: '0' },
      size: { type: 'string', default: '32' },
      out: { type: 'string' },
    },
  });
  if (!values.out) throw new InvalidArgumentError('out', values.out, 'a file path, e.g. models/recipes/.work/train.bin');
  const count = requireInteger('count', Number(values.count), 1, 1_000_000);
  const seed = requireInteger('seed', Number(values.seed), 0);
  const size = requireInteger('size', Number(values.size), 16, 1024);
  const t0 = Date.now();
  const { pixels, sidecar } = exportScenes(count, seed, size);
  // Each file goes through a temporary name and a rename, so a crash leaves nothing half-written.
  writeFileAtomicSync(values.out, pixels);
  writeFileAtomicSync(values.out + '.json', JSON.stringify(sidecar));
  console.log(`wrote ${count} scenes (${size}x${size}, seed ${seed}) to ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
