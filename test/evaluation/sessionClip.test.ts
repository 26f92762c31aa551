/**
 * CLIPScore in the session's quality rows: present with a scenes-clip folder (equal to the mean of
 * SceneClip.clipScores on the same images and prompts), absent without one; the cache key changes
 * with the clip model, and a row measured without CLIPScore is never served for one with it (nor the
 * other way round). Uses a tiny SceneCLIP built in the test (test/quality/clipTestModel.ts).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../src/evaluation/cache.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/image/tensorPng.js';
import { DDIM_TRAILING, type Method } from '../../src/evaluation/method.js';
import { promptQualityProblems, qualityProblems } from '../../src/evaluation/result.js';
import { defaultClipDir, EvaluationSession, type EvaluationOptions } from '../../src/evaluation/session.js';
import { defaultWeights, writeClipTestModel } from '../quality/clipTestModel.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const tinySd = path.join(repo, 'models', 'fixtures', 'tiny-sd');
const evaluatorDir = path.join(repo, 'models', 'scenes-evaluator');
const ddim = (steps: number): Method => ({
  name: `DDIM ${steps}`,
  family: 'DDIM',
  dir: tinySd,
  steps,
  guidance: 1,
  scheduler: DDIM_TRAILING,
});
const interval = { value: 20, low: 18, high: 22, level: 0.95 };
const fd = { value: 5, low: 4, high: 6, level: 0.95 };

describe('clipScore in stored rows', () => {
  test('a row without clipScore is invalid where one is expected, and one with it where none is', () => {
    const row = { images: 8, frechet: fd, adherence: { value: 0.5, low: 0.4, high: 0.6, level: 0.95 }, allCorrect: 0 };
    assert.deepEqual(qualityProblems(row), []);
    assert.deepEqual(qualityProblems(row, { clipScore: false }), []);
    assert.match(qualityProblems(row, { clipScore: true }).join('; '), /clipScore is missing/);
    const withClip = { ...row, clipScore: interval };
    assert.deepEqual(qualityProblems(withClip, { clipScore: true }), []);
    assert.match(qualityProblems(withClip, { clipScore: false }).join('; '), /clipScore is present/);
    assert.ok(qualityProblems({ ...row, clipScore: { ...interval, value: 120, high: 130 } }).length > 0, 'over 100');
    const prompt = { images: 3, adherence: row.adherence, allCorrect: 0 };
    assert.deepEqual(promptQualityProblems(prompt, 3), []);
    assert.match(promptQualityProblems(prompt, 3, { clipScore: true }).join('; '), /clipScore is missing/);
    assert.deepEqual(promptQualityProblems({ ...prompt, clipScore: interval }, 3, { clipScore: true }), []);
  });
});

describe('defaultClipDir', () => {
  test("the evaluator's sibling scenes-clip when it exists; false: none; a folder needs the evaluator", () => {
    const clip = writeClipTestModel();
    const root = path.dirname(clip);
    try {
      const ev = path.join(root, 'scenes-evaluator');
      fs.symlinkSync(evaluatorDir, ev);
      assert.equal(defaultClipDir({ evaluator: ev }), clip);
      assert.equal(defaultClipDir({ evaluator: ev, clip: false }), undefined);
      assert.equal(defaultClipDir({ evaluator: evaluatorDir, clip: '/x/scenes-clip' }), '/x/scenes-clip');
      assert.equal(defaultClipDir({}), undefined);
      assert.throws(
        () => defaultClipDir({ clip }),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'options.clip',
      );
      fs.rmSync(path.join(clip, 'config.json'));
      assert.equal(defaultClipDir({ evaluator: ev }), undefined, 'no scenes-clip model: none');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('EvaluationSession with scenes-clip', { timeout: 300_000 }, () => {
  test('the quality row carries clipScore (the mean of SceneClip.clipScores on its images), keyed by the clip model', async () => {
    const clipDir = writeClipTestModel();
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-session-clip-'));
    const images = 8;
    const open = (clip: EvaluationOptions['clip']) =>
      EvaluationSession.open({
        images,
        evaluator: evaluatorDir,
        clip,
        device: 'cpu',
        cacheDir,
        force: false,
        bootstrapReps: { frechet: 10, mean: 200 },
        log: () => {},
      });
    try {
      let s = await open(clipDir);
      assert.equal(s.clipDir, clipDir);
      const r = await s.evaluate(ddim(1), { keepSamples: images });
      const c = r.quality!.clipScore!;
      assert.ok(c, 'clipScore present');
      assert.ok(c.low <= c.value && c.value <= c.high && c.low >= 0 && c.high <= 100, JSON.stringify(c));
      assert.equal(r.provenance.quality?.source, 'measured now');
      // the same number from the images themselves (PNG samples are lossless 8-bit)
      const raw = await Promise.all(r.samples!.map((b) => decodeImage(Buffer.from(b, 'base64'), { channels: 3 })));
      const scores = await s.clip!.clipScores(raw, s.reference.prompts);
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      assert.ok(Math.abs(mean - c.value) < 1e-9, `${mean} vs ${c.value}`);
      // given prompts: the row carries clipScore too
      const prompts = s.reference.prompts.slice(0, 3);
      const p = await s.evaluatePrompts(ddim(1), prompts);
      assert.ok(p.quality?.clipScore && p.quality.adherence, 'adherence and clipScore on given prompts');
      await s.close();

      s = await open(clipDir);
      const again = await s.evaluate(ddim(1));
      assert.equal(again.provenance.quality?.source, 'cache hit');
      assert.deepEqual(again.quality?.clipScore, c);
      await s.close();

      // without the clip model: another row (measured now), without clipScore, then a hit of its own
      s = await open(false);
      assert.equal(s.clip, undefined);
      const none = await s.evaluate(ddim(1));
      assert.equal(
        none.provenance.quality?.source,
        'measured now',
        'a row with clipScore is not served for one without',
      );
      assert.equal(none.quality?.clipScore, undefined);
      assert.deepEqual(none.quality?.frechet, r.quality?.frechet, 'same images, same FD');
      assert.equal((await s.evaluate(ddim(1))).provenance.quality?.source, 'cache hit');
      await s.close();

      // another clip model in the same folder: the key changes, the row is measured again
      const other = defaultWeights(4);
      other.wi = other.wi.map((v, k) => v + 0.25 * ((k % 3) - 1));
      const replacement = writeClipTestModel(other);
      for (const sub of ['image_encoder', 'text_encoder'])
        fs.copyFileSync(path.join(replacement, sub, 'model.onnx'), path.join(clipDir, sub, 'model.onnx'));
      fs.rmSync(path.dirname(replacement), { recursive: true, force: true });
      s = await open(clipDir);
      const changed = await s.evaluate(ddim(1));
      assert.equal(changed.provenance.quality?.source, 'measured now', 'the clip model is part of the key');
      assert.ok(changed.quality?.clipScore);
      await s.close();

      // a cached row without clipScore under the clip key (as an old row would be) is measured again, not re-used
      for (const f of fs.readdirSync(cacheDir)) {
        if (!f.startsWith('quality-')) continue;
        const file = path.join(cacheDir, f);
        const text = fs.readFileSync(file, 'utf8');
        if (!text.includes('clipScore')) continue;
        const json = JSON.parse(text) as { value: Record<string, unknown>; valueSha256: string };
        delete json.value.clipScore;
        // a consistent file (checksum of the edited value): only the validator can turn it down
        json.valueSha256 = createHash('sha256').update(canonicalJson(json.value)).digest('hex');
        fs.writeFileSync(file, JSON.stringify(json));
      }
      s = await open(clipDir);
      const stale = await s.evaluate(ddim(1));
      assert.notEqual(stale.provenance.quality?.source, 'cache hit');
      assert.ok(stale.quality?.clipScore, 'measured again with clipScore');
      await s.close();
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
      fs.rmSync(path.dirname(clipDir), { recursive: true, force: true });
    }
  });

  test('a clip folder that does not exist is refused at open', async () => {
    await assert.rejects(
      EvaluationSession.open({ images: 4, evaluator: evaluatorDir, clip: '/nonexistent/scenes-clip', log: () => {} }),
      /scenes-clip folder \/nonexistent\/scenes-clip does not exist/,
    );
  });
});
