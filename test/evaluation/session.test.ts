/**
 * The session's quality rows: PSNR/SSIM against a reference method (worked by hand on flat images),
 * cached apart from the Frechet distance and adherence so that neither row depends on the other,
 * adherence on given prompts, and the kept samples.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { complexityPrompts } from '../../src/course/exercises.js';
import { rawImageToPng } from '../../src/image/tensorPng.js';
import { DDIM_TRAILING, type Method } from '../../src/evaluation/method.js';
import { clipInterval, EvaluationSession, pairScores, PSNR_CAP_DB } from '../../src/evaluation/session.js';
import { bootstrapMean } from '../../src/evaluation/bootstrap.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const tinySd = path.join(repo, 'models', 'fixtures', 'tiny-sd');
const evaluatorDir = path.join(repo, 'models', 'scenes-evaluator');
const flat = (value: number, size = 16) =>
  rawImageToPng({ data: new Uint8Array(size * size * 3).fill(value), width: size, height: size, channels: 3 });
const ddim = (steps: number): Method => ({
  name: `DDIM ${steps}`,
  family: 'DDIM',
  dir: tinySd,
  steps,
  guidance: 1,
  scheduler: DDIM_TRAILING,
});
const rejectsField = (p: Promise<unknown>, field: string) =>
  assert.rejects(p, (e: unknown) => e instanceof InvalidArgumentError && e.field === field, `names ${field}`);

describe('pairScores', () => {
  test('flat grey 100 vs 110: PSNR 10 log10(255^2 / 100) and SSIM (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1) (worked by hand)', async () => {
    const q = await pairScores([await flat(100)], [await flat(110)]);
    assert.ok(Math.abs(q.psnrDb[0] - 10 * Math.log10((255 * 255) / 100)) < 1e-9, `PSNR ${q.psnrDb[0]}`);
    const c1 = (0.01 * 255) ** 2;
    assert.ok(Math.abs(q.ssim[0] - (2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1)) < 1e-9, `SSIM ${q.ssim[0]}`);
  });

  test('identical images give the PSNR cap and SSIM 1; only as many pairs as references are compared', async () => {
    const a = await flat(50);
    const q = await pairScores([a, await flat(200)], [a]);
    assert.deepEqual([...q.psnrDb], [PSNR_CAP_DB]);
    assert.deepEqual([...q.ssim], [1]);
  });

  test('bad inputs are refused, naming the field', async () => {
    await rejectsField(pairScores([], []), 'references');
    await rejectsField(pairScores([], [await flat(1)]), 'images');
    await rejectsField(pairScores([await flat(1, 16)], [await flat(1, 20)]), 'images[0]');
  });
});

describe('clipInterval', () => {
  test('keeps an adherence interval inside [0, 1] when the values sit at the edge (a case that left it before)', () => {
    // 24 images, all but one with every attribute right: the recentred percentile interval can end past 1.
    const values = Array.from({ length: 24 }, (_, i) => (i === 0 ? 6 / 7 : 1));
    const raw = bootstrapMean(values, { reps: 1000, seed: 0 });
    const clipped = clipInterval(raw, 0, 1);
    assert.ok(clipped.high <= 1 && clipped.low >= 0 && clipped.low <= clipped.value, JSON.stringify({ raw, clipped }));
    assert.equal(clipped.value, raw.value);
    assert.equal(clipped.low, Math.max(0, raw.low));
  });
});

describe('EvaluationSession quality rows', { timeout: 300_000 }, () => {
  test('PSNR/SSIM pairs: intervals, a cache hit said so, the reference against itself at the cap, and other pair counts a row of their own', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-session-'));
    const lines: string[] = [];
    const open = () =>
      EvaluationSession.open({
        images: 4,
        device: 'cpu',
        cacheDir,
        force: false,
        log: (l) => lines.push(l),
        referenceMethod: ddim(6),
      });
    try {
      let s = await open();
      const self = await s.evaluate(ddim(6), { pairs: 3 });
      assert.equal(self.quality?.psnrDb?.value, PSNR_CAP_DB, 'the reference method against itself');
      assert.equal(self.quality?.ssim?.value, 1);
      const first = await s.evaluate(ddim(2), { pairs: 3, keepSamples: 2 });
      const q = first.quality!;
      assert.equal(q.pairs, 3);
      assert.equal(q.images, 3);
      assert.ok(q.psnrDb!.low <= q.psnrDb!.value && q.psnrDb!.value <= q.psnrDb!.high && q.psnrDb!.value < PSNR_CAP_DB);
      assert.ok(q.ssim!.low <= q.ssim!.value && q.ssim!.value <= q.ssim!.high && q.ssim!.value < 1);
      assert.equal(first.samples?.length, 2);
      assert.equal(first.provenance.pairs?.source, 'measured now');
      await s.close();
      s = await open();
      const again = await s.evaluate(ddim(2), { pairs: 3 });
      assert.equal(again.provenance.pairs?.source, 'cache hit');
      assert.deepEqual(again.quality, first.quality);
      assert.ok(
        lines.some((l) => /DDIM 2 PSNR\/SSIM vs DDIM 6 \(3 pairs\): cache hit, measured /.test(l)),
        lines.join('\n'),
      );
      const two = await s.evaluate(ddim(2), { pairs: 2 });
      assert.equal(two.provenance.pairs?.source, 'measured now', 'another pair count is another row');
      // the first two pairs are the same images: the per-pair values agree, so the means lie within the 3-pair range
      assert.equal(two.quality?.pairs, 2);
      await s.close();
      await rejectsField(
        (async () =>
          (await EvaluationSession.open({ images: 4, evaluator: evaluatorDir, device: 'cpu', cacheDir })).evaluate(
            ddim(2),
            { pairs: 2 },
          ))(),
        'pairs',
      );
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('with the evaluator: the FD row is re-used whatever the pairs, and the pairs row whatever the FD row', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-session-'));
    const open = () =>
      EvaluationSession.open({
        images: 160,
        evaluator: evaluatorDir,
        referenceMethod: ddim(4),
        device: 'cpu',
        cacheDir,
        force: false,
        log: () => {},
      });
    try {
      let s = await open();
      const fdOnly = await s.evaluate(ddim(1));
      assert.ok(fdOnly.quality?.frechet && fdOnly.quality.adherence, 'FD and adherence');
      assert.equal(fdOnly.quality?.psnrDb, undefined, 'no pairs asked');
      await s.close();
      s = await open();
      const withPairs = await s.evaluate(ddim(1), { pairs: 4 });
      assert.equal(withPairs.provenance.quality?.source, 'cache hit', 'the FD row does not depend on the pairs');
      assert.equal(withPairs.provenance.pairs?.source, 'measured now');
      assert.deepEqual(withPairs.quality?.frechet, fdOnly.quality?.frechet);
      await s.close();
      // delete the FD row: the pairs row is still re-used
      for (const f of fs.readdirSync(cacheDir)) if (f.startsWith('quality-')) fs.rmSync(path.join(cacheDir, f));
      s = await open();
      const again = await s.evaluate(ddim(1), { pairs: 4 });
      assert.equal(again.provenance.pairs?.source, 'cache hit', 'the pairs row does not depend on the FD row');
      assert.equal(again.provenance.quality?.source, 'measured now');
      assert.deepEqual(again.quality, withPairs.quality);

      // adherence on given prompts: an interval, cached, the prompts part of the key
      const prompts = complexityPrompts([4, 5, 7], 3, 11).prompts;
      const a = await s.evaluatePrompts(ddim(2), prompts, { label: 'three prompts' });
      const ad = a.quality!.adherence!;
      assert.equal(a.quality?.images, 3);
      assert.ok(ad.low <= ad.value && ad.value <= ad.high && ad.low >= 0 && ad.high <= 1, JSON.stringify(ad));
      assert.equal(a.provenance.quality?.source, 'measured now');
      const b = await s.evaluatePrompts(ddim(2), prompts);
      assert.equal(b.provenance.quality?.source, 'cache hit');
      assert.deepEqual(b.quality, a.quality);
      const c = await s.evaluatePrompts(ddim(2), prompts.slice(0, 2));
      assert.equal(c.provenance.quality?.source, 'measured now', 'other prompts, another row');
      await rejectsField(s.evaluatePrompts(ddim(2), ['a beautiful sunset', 'x']), 'prompts[0]');
      await rejectsField(s.evaluatePrompts(ddim(2), ['only one']), 'prompts');
      await s.close();
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
