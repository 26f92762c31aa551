import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { fuseLcmLoraFolder } from '../../src/onnx/loraFolder.js';
import { SceneEvaluator } from '../../src/quality/sceneEvaluator.js';
import { loadPipeline, type TextToImagePipeline } from '../../src/onnx/pipeline.js';
import { sceneDataset } from '../../src/scenes/scene.js';

const MODELS = path.resolve(__dirname, '..', '..', '..', 'models');
const quiet = { device: 'cpu' as const, log: () => {}, warn: () => {} };
const PROMPT = 'a beautiful sunset over mountains, oil painting style, warm colors';

describe('the shipped scenes models', () => {
  const pipes = new Map<string, TextToImagePipeline>();
  before(async () => {
    for (const m of ['scenes-teacher', 'scenes-lcm', 'scenes-pd-1', 'scenes-pd-2', 'scenes-pd-4', 'scenes-pd-8']) {
      pipes.set(m, await loadPipeline(path.join(MODELS, m), quiet));
    }
  });
  after(async () => {
    for (const p of pipes.values()) await p.release();
  });

  test('load with their families and a 64 px native size', () => {
    assert.equal(pipes.get('scenes-teacher')!.family, 'sd');
    assert.equal(pipes.get('scenes-lcm')!.family, 'lcm');
    assert.equal(pipes.get('scenes-pd-1')!.family, 'turbo');
    for (const p of pipes.values()) assert.equal(p.nativeSize, 64);
  });

  test('draw the same PNG bytes for the same seed and different ones for another seed', async () => {
    for (const [name, p] of pipes) {
      const opts = {
        prompt: PROMPT,
        steps: name === 'scenes-teacher' ? 4 : 1,
        guidance: name === 'scenes-pd-1' || name.startsWith('scenes-pd') ? 0 : 3,
      };
      const a = await p.generate({ ...opts, seeds: [5, 6] });
      const b = await p.generate({ ...opts, seeds: [5] });
      assert.deepEqual(Buffer.from(a.images[0]), Buffer.from(b.images[0]), name);
      assert.notDeepEqual(Buffer.from(a.images[0]), Buffer.from(a.images[1]), name);
      const meta = await sharp(a.images[0]).metadata();
      assert.deepEqual([meta.width, meta.height], [64, 64]);
    }
  });

  test('know every word of a scene caption as one token and report words their vocabulary cannot spell', async () => {
    const p = pipes.get('scenes-lcm')!;
    const caption = p.tokenizer.encode(PROMPT);
    // BOS, 10 words, 2 commas, EOS: every scene word is a single token.
    assert.equal(caption.tokens.length, 14);
    assert.deepEqual(caption.unknownWords, []);
    const r = await p.generate({ prompts: [PROMPT, 'a beautiful sunset over the château'], steps: 1, seed: 1 });
    assert.deepEqual(r.unknownWords[0], []);
    assert.ok(
      r.unknownWords[1].some((w) => w.includes('ch')),
      JSON.stringify(r.unknownWords[1]),
    );
  });

  test('run the fully convolutional UNet at another resolution (96 x 64)', async () => {
    const r = await pipes
      .get('scenes-teacher')!
      .generate({ prompt: PROMPT, steps: 2, guidance: 3, seed: 1, width: 96, height: 64 });
    const meta = await sharp(r.images[0]).metadata();
    assert.deepEqual([meta.width, meta.height], [96, 64]);
  });

  test('the LCM-LoRA file fuses into every adapted teacher layer and the fused model draws deterministically', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcm-lora-'));
    try {
      const report = fuseLcmLoraFolder(
        path.join(MODELS, 'scenes-teacher'),
        path.join(MODELS, 'scenes-lcm-lora', 'lora.safetensors'),
        dir,
      );
      assert.ok(report.matched > 20, `matched ${report.matched}`);
      assert.equal(report.unmatched, 0);
      const p = await loadPipeline(dir, quiet);
      const a = await p.generate({ prompt: PROMPT, steps: 4, guidance: 1, seed: 3 });
      const b = await p.generate({ prompt: PROMPT, steps: 4, guidance: 1, seed: 3 });
      assert.deepEqual(Buffer.from(a.images[0]), Buffer.from(b.images[0]));
      await p.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the scene evaluator', () => {
  test('returns [b, 20] logits and [b, 128] features with one head per scene attribute', async () => {
    const ev = await SceneEvaluator.open(path.join(MODELS, 'scenes-evaluator'));
    const scenes = sceneDataset(3, 4_000_000, 64);
    const pixels = new Float32Array(3 * 3 * 64 * 64);
    scenes.forEach((s, i) => pixels.set(s.pixels, i * 3 * 64 * 64));
    const out = await ev.run(pixels, 3, 64);
    assert.equal(out.logits.length, 3 * 20);
    assert.equal(out.features.length, 3 * 128);
    assert.deepEqual(
      ev.heads.map((h) => h.name),
      ['timeOfDay', 'terrain', 'palette', 'style', 'celestial', 'clouds', 'stars'],
    );
    assert.equal(out.attributes.length, 3);
    await ev.release();
  });

  test('reads the terrain and time of day of held-out real scenes', async () => {
    const ev = await SceneEvaluator.open(path.join(MODELS, 'scenes-evaluator'));
    const n = 40;
    const scenes = sceneDataset(n, 4_100_000, 64);
    const pixels = new Float32Array(n * 3 * 64 * 64);
    scenes.forEach((s, i) => pixels.set(s.pixels, i * 3 * 64 * 64));
    const out = await ev.run(pixels, n, 64);
    const right = (k: 'terrain' | 'timeOfDay') => out.attributes.filter((a, i) => a[k] === scenes[i].spec[k]).length;
    assert.ok(right('terrain') >= 0.8 * n, `terrain ${right('terrain')}/${n}`);
    assert.ok(right('timeOfDay') >= 0.8 * n, `time of day ${right('timeOfDay')}/${n}`);
    await ev.release();
  });

  test('refuses pixels of the wrong length', async () => {
    const ev = await SceneEvaluator.open(path.join(MODELS, 'scenes-evaluator'));
    await assert.rejects(() => ev.run(new Float32Array(10), 1, 64), /pixels/);
    await ev.release();
  });
});

describe('the shipped tokenizer', () => {
  test('reports words the scenes vocabulary does not hold, and none for the course prompt', async () => {
    const pipe = await loadPipeline(path.join(MODELS, 'scenes-lcm'), quiet);
    try {
      const r = await pipe.generate({
        prompts: [PROMPT, 'a sunset over mountains with a dragon, watercolor'],
        steps: 1,
        seeds: [1, 2],
      });
      assert.deepEqual(r.splitWords, [[], ['dragon', 'watercolor']]);
      assert.deepEqual(r.unknownWords, [[], []]);
    } finally {
      await pipe.release();
    }
  });
});
