#!/usr/bin/env node
/**
 * node dist/cli/exportScenes.js --count N --seed S --size P --out <file.bin>
 *
 * Writes a procedural-scene data set for the model recipe (models/recipes/scenes/): `<file>` holds
 * the pixels as uint8 CHW, image after image (count * 3 * P * P bytes, value = round(255 * x)),
 * and `<file>.json` the sidecar: { count, seed, size, layout, captions[], attributes[] }.
 * Scene i is `sceneDataset(count, seed, size)[i]`, so held-out sets simply use other seeds.
 */
import { defineCli, parseCli, parseIntegerArg, runCli } from './args.js';
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
export function exportScenes(
  count: number,
  seed: number,
  size: number,
): { pixels: Uint8Array; sidecar: SceneExportSidecar } {
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

/** The command line of `node dist/cli/exportScenes.js`. */
export const EXPORT_SCENES_CLI = defineCli({
  command: 'node dist/cli/exportScenes.js',
  summary: 'Writes scene images (uint8 NCHW) and a JSON sidecar of captions and attributes for the model recipes.',
  options: {
    count: { type: 'string', value: 'n', help: 'number of scenes, 1..1000000 (required)' },
    seed: { type: 'string', value: 's', default: '0', help: 'dataset seed' },
    size: { type: 'string', value: 'px', default: '32', help: 'image size, 16..1024' },
    out: { type: 'string', value: 'file', help: 'output file, e.g. models/recipes/.work/train.bin (required)' },
  },
});

function main(): void {
  const { values } = parseCli(EXPORT_SCENES_CLI, process.argv.slice(2));
  if (!values.out)
    throw new InvalidArgumentError('--out', values.out, 'a file path, e.g. models/recipes/.work/train.bin');
  if (values.count === undefined)
    throw new InvalidArgumentError('--count', undefined, 'a decimal integer in [1, 1000000]');
  const count = parseIntegerArg('--count', values.count, 1, 1_000_000);
  const seed = parseIntegerArg('--seed', values.seed!, 0);
  const size = parseIntegerArg('--size', values.size!, 16, 1024);
  const t0 = Date.now();
  const { pixels, sidecar } = exportScenes(count, seed, size);
  // Each file goes through a temporary name and a rename, so a crash leaves nothing half-written.
  writeFileAtomicSync(values.out, pixels);
  writeFileAtomicSync(values.out + '.json', JSON.stringify(sidecar));
  console.log(
    `wrote ${count} scenes (${size}x${size}, seed ${seed}) to ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

if (require.main === module) {
  runCli('exportScenes', main);
}
