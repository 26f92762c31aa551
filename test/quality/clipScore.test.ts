/**
 * CLIPScore (Hessel et al. 2021, w = 1: 100 x max(cos, 0)) on hand-made embeddings, the SceneClip
 * model wrapper on a tiny SceneCLIP built in the test (embeddings worked out by hand from its
 * weights), its errors (each naming the field), and the shape of clipChecks.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import { loadClipTokenizer } from '../../src/onnx/tokenizer.js';
import {
  argmaxCosine,
  attributeCaption,
  clipChecks,
  clipScoresFromEmbeddings,
  CLIP_ZERO_SHOT_ATTRIBUTES,
  derangement,
  SceneClip,
} from '../../src/quality/clipScore.js';
import { defaultWeights, SCENES_TOKENIZER, SEQ_LEN, writeClipTestModel } from './clipTestModel.js';

const throwsField = (f: () => unknown, field: string) =>
  assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && e.field === field, `names ${field}`);
const rejectsField = (p: Promise<unknown>, field: string) =>
  assert.rejects(p, (e: unknown) => e instanceof InvalidArgumentError && e.field === field, `names ${field}`);
const close = (a: number, b: number, tol = 1e-4) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('clipScoresFromEmbeddings', () => {
  test('100 x max(cos, 0) per row, worked by hand: aligned, 60 degrees, orthogonal, negative cos -> 0, unnormalised rows', () => {
    // dim 2; rows: image i against text i
    const images = [1, 0, 1, 0, 0, 1, 1, 0, 3, 4];
    const texts = [2, 0, 0.5, Math.sqrt(3) / 2, 1, 0, -1, 1, 6, 8];
    const s = clipScoresFromEmbeddings(images, texts, 2);
    assert.equal(s.length, 5);
    close(s[0], 100); // same direction, text not unit length
    close(s[1], 50); // cos 60 degrees = 1/2
    close(s[2], 0); // orthogonal
    assert.equal(s[3], 0); // cos 135 degrees = -0.707: clamped to 0
    close(s[4], 100); // (3, 4) and (6, 8): cos 1
  });

  test('bad inputs name the field', () => {
    throwsField(() => clipScoresFromEmbeddings([1, 0], [1, 0, 0, 1], 2), 'textEmbeds');
    throwsField(() => clipScoresFromEmbeddings([1, 0, 1], [1, 0, 0], 2), 'imageEmbeds.length');
    throwsField(() => clipScoresFromEmbeddings([], [], 2), 'imageEmbeds.length');
    throwsField(() => clipScoresFromEmbeddings([1, NaN], [1, 0], 2), 'imageEmbeds[1]');
    throwsField(() => clipScoresFromEmbeddings([1, 0], [1, 0], 0), 'dim');
  });

  test('argmaxCosine picks the closest candidate per image', () => {
    const picked = argmaxCosine([1, 0, 0, 1], [new Float32Array([0, 1, 1, 0.1]), new Float32Array([1, 0, -1, 1])], 2);
    assert.deepEqual(picked, [1, 1]);
    throwsField(() => argmaxCosine([1, 0], [], 2), 'candidates');
  });

  test('derangement: a permutation with no fixed point, same for the same seed', () => {
    for (const n of [2, 3, 10, 101]) {
      const p = derangement(n, 7);
      assert.deepEqual(
        [...p].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.ok(
        p.every((j, i) => j !== i),
        JSON.stringify(p),
      );
      assert.deepEqual(derangement(n, 7), p);
    }
    throwsField(() => derangement(1, 0), 'n');
  });

  test('attributeCaption sets one attribute; stars stay only at night', () => {
    const spec = {
      timeOfDay: 'night',
      terrain: 'hills',
      palette: 'cool',
      style: 'flat',
      celestial: true,
      clouds: false,
      stars: true,
    } as const;
    assert.equal(
      attributeCaption(spec, 'terrain', 'ocean'),
      'a beautiful night sky over ocean with the moon and stars, flat style, cool colors',
    );
    assert.equal(
      attributeCaption(spec, 'timeOfDay', 'sunset'),
      'a beautiful sunset over hills with the sun, flat style, cool colors',
    );
    throwsField(() => attributeCaption(spec, 'palette', 'blue'), 'palette');
  });
});

describe('SceneClip on a tiny hand-built SceneCLIP', { timeout: 120_000 }, () => {
  test('embeddings and CLIPScore match the weights worked by hand; other sizes are resized; errors name the field', async () => {
    const w = defaultWeights(4);
    const dir = writeClipTestModel(w);
    const clip = await SceneClip.load(dir);
    try {
      assert.equal(clip.embedDim, 4);
      assert.equal(clip.config.nativeSize, 64);
      // flat images: mean RGB = the colour; image embedding = normalise(rgb x Wi) = normalise(r, g, b, 0)
      const flat = (rgb: number[], size = 64) => {
        const data = new Uint8Array(size * size * 3);
        for (let k = 0; k < data.length; k++) data[k] = rgb[k % 3];
        return { data, width: size, height: size, channels: 3 as const };
      };
      const colours = [
        [255, 0, 0],
        [51, 102, 204],
      ];
      const im = await clip.embedImages(colours.map((c) => flat(c)));
      colours.forEach((c, i) => {
        const n = Math.hypot(...c);
        [...c, 0].forEach((v, k) => close(im[i * 4 + k], v / n, 1e-6));
      });
      // a flat 32 x 32 image resized to 64 stays flat (Lanczos of a constant): same embedding
      const small = await clip.embedImages([flat(colours[1], 32)]);
      [...small].forEach((v, k) => close(v, im[4 + k], 1e-6));

      // text embedding = normalise(ids x Wt), ids from the scenes tokenizer (32 ids)
      const prompts = [
        'a beautiful sunset over mountains, oil painting style, warm colors',
        'a beautiful noon sky over desert, flat style, golden colors',
      ];
      const tok = loadClipTokenizer(SCENES_TOKENIZER);
      const byHand = prompts.map((p) => {
        const ids = tok.encode(p).ids;
        assert.equal(ids.length, SEQ_LEN);
        const e = [0, 1, 2, 3].map((k) => ids.reduce((s, id, t) => s + id * w.wt[t * 4 + k], 0));
        const n = Math.hypot(...e);
        return e.map((v) => v / n);
      });
      const tx = await clip.embedTexts(prompts);
      byHand.forEach((e, i) => e.forEach((v, k) => close(tx[i * 4 + k], v, 1e-4)));

      // CLIPScore of image i with prompt i = 100 max(cos, 0), cos of the unit vectors worked out above
      const scores = await clip.clipScores(
        colours.map((c) => flat(c)),
        prompts,
      );
      colours.forEach((c, i) => {
        const n = Math.hypot(...c);
        const cos = [...c, 0].reduce((s, v, k) => s + (v / n) * byHand[i][k], 0);
        close(scores[i], 100 * Math.max(cos, 0), 1e-3);
      });

      // errors name the field
      await rejectsField(clip.clipScores([flat([1, 2, 3])], prompts), 'prompts');
      await rejectsField(clip.embedImages([]), 'images');
      await rejectsField(clip.embedTexts([]), 'prompts');
      await rejectsField(clip.embedImages({ pixels: new Float32Array(3 * 32 * 32), n: 1, size: 32 }), 'images.size');
      await rejectsField(clip.embedImages({ pixels: new Float32Array(5), n: 1, size: 64 }), 'images.pixels.length');
    } finally {
      await clip.release();
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  test('load refuses a missing folder, a config of another class, and an embed dim the model does not give', async () => {
    await assert.rejects(SceneClip.load('/nonexistent/scenes-clip'), MissingResourceError);
    const dir = writeClipTestModel(defaultWeights(4), 5);
    try {
      const clip = await SceneClip.load(dir);
      try {
        await rejectsField(clip.embedTexts(['a beautiful sunset over hills, flat style, warm colors']), 'text_embeds');
      } finally {
        await clip.release();
      }
      const cfg = path.join(dir, 'config.json');
      fs.writeFileSync(
        cfg,
        JSON.stringify({ _class_name: 'SceneEvaluator', embed_dim: 4, native_size: 64, logit_scale: 1 }),
      );
      await rejectsField(SceneClip.load(dir), 'config.json _class_name');
      fs.writeFileSync(
        cfg,
        JSON.stringify({ _class_name: 'SceneCLIP', embed_dim: 0, native_size: 64, logit_scale: 1 }),
      );
      await rejectsField(SceneClip.load(dir), 'config.json embed_dim');
      fs.rmSync(cfg);
      await assert.rejects(SceneClip.load(dir), MissingResourceError);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  test('clipChecks: intervals around the means, chance levels 1/4 and 1/2 (no quality asserted: the model is made up)', async () => {
    const dir = writeClipTestModel();
    const clip = await SceneClip.load(dir);
    try {
      const c = await clipChecks(clip, 12, 3_000_000, { reps: 100 });
      assert.equal(c.n, 12);
      for (const i of [c.ownCaptions, c.shuffledCaptions]) {
        assert.ok(i.low <= i.value && i.value <= i.high && i.low >= 0 && i.high <= 100, JSON.stringify(i));
      }
      close(c.ownMinusShuffled.value, c.ownCaptions.value - c.shuffledCaptions.value, 1e-9);
      assert.deepEqual(Object.keys(c.zeroShot), [...CLIP_ZERO_SHOT_ATTRIBUTES]);
      assert.equal(c.zeroShot.timeOfDay.chance, 0.25);
      assert.equal(c.zeroShot.style.chance, 0.5);
      for (const a of CLIP_ZERO_SHOT_ATTRIBUTES) {
        const acc = c.zeroShot[a].accuracy;
        assert.ok(acc.low >= 0 && acc.high <= 1 && acc.low <= acc.value && acc.value <= acc.high, JSON.stringify(acc));
        assert.ok(Number.isInteger(acc.value * 12), 'a fraction of the 12 scenes');
      }
      await rejectsField(clipChecks(clip, 1), 'n');
    } finally {
      await clip.release();
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
