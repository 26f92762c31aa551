import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/image/tensorPng.js';
import { generateImageSet } from '../../src/onnx/imageSet.js';
import { loadPipeline, type TextToImagePipeline } from '../../src/onnx/pipeline.js';

const root = path.resolve(__dirname, '..', '..', '..');
const PROMPTS = [
  'a beautiful sunset over mountains, oil painting style, warm colors',
  'a beautiful night sky over ocean with the moon and stars, flat style, purple colors',
  'a beautiful noon sky over desert with the sun, flat style, golden colors',
];

describe('generateImageSet', () => {
  let pipe: TextToImagePipeline | undefined;
  const open = async () =>
    (pipe ??= await loadPipeline(path.join(root, 'models', 'scenes-lcm'), { device: 'cpu', log: () => {} }));
  after(async () => pipe?.release());

  test('image i is drawn for prompt i from seed firstSeed + i, whatever the batching', async () => {
    const p = await open();
    const set = await generateImageSet(p, PROMPTS, { steps: 2, batchSize: 2, firstSeed: 40 });
    assert.equal(set.length, 3);
    for (let i = 0; i < PROMPTS.length; i++) {
      const alone = (await p.generate({ prompt: PROMPTS[i], seed: 40 + i, steps: 2 })).images[0];
      const [a, b] = [await decodeImage(set[i], { channels: 3 }), await decodeImage(alone, { channels: 3 })];
      let worst = 0;
      for (let k = 0; k < a.data.length; k++) worst = Math.max(worst, Math.abs(a.data[k] - b.data[k]));
      assert.ok(worst <= 2, `image ${i} differs from its single-image generation by ${worst} levels`);
    }
    const other = await generateImageSet(p, PROMPTS.slice(0, 1), { steps: 2, firstSeed: 41 });
    assert.notDeepEqual(other[0], set[0], 'another seed gives another image');
  });

  test('refuses empty prompt lists, bad batch sizes and seeds, and (when asked) prompts with unknown words', async () => {
    const p = await open();
    const field = (f: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === f;
    await assert.rejects(generateImageSet(p, []), field('prompts'));
    await assert.rejects(generateImageSet(p, PROMPTS, { batchSize: 0 }), field('batchSize'));
    await assert.rejects(generateImageSet(p, PROMPTS, { firstSeed: -1 }), field('firstSeed'));
    const withUnknown = `${PROMPTS[0]}, ünïcødé`; // letters the scenes tokenizer cannot represent
    await assert.rejects(
      generateImageSet(p, [withUnknown], { steps: 1, rejectUnknownWords: true }),
      (e: unknown) => field('prompt')(e) && /ünïcødé/.test((e as Error).message),
    );
    assert.equal(
      (await generateImageSet(p, [withUnknown], { steps: 1 })).length,
      1,
      'without rejectUnknownWords the image is made',
    );
  });
});
