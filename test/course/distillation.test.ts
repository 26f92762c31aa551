import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  DISTILLATION_METHODS,
  diminishingReturns,
  measureQualityRow,
  measureQualityRowCached,
} from '../../src/course/distillation.js';
import { pairQuality } from '../../src/course/measure.js';
import { PSNR_CAP_DB } from '../../src/evaluation/session.js';
import { PipelineCache } from '../../src/course/measure.js';
import { rawImageToPng } from '../../src/image/tensorPng.js';
import { sceneReference } from '../../src/quality/sceneEvaluator.js';

const root = path.resolve(__dirname, '..', '..', '..');
const throwsField = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    `expected InvalidArgumentError naming ${field}`,
  );
const flat = (value: number, size = 16) =>
  rawImageToPng({ data: new Uint8Array(size * size * 3).fill(value), width: size, height: size, channels: 3 });

describe('DISTILLATION_METHODS', () => {
  test('lists the six families of the course, each with what it learns, steps, cost, place in the course and an arXiv citation', () => {
    assert.equal(DISTILLATION_METHODS.length, 6);
    for (const m of DISTILLATION_METHODS) {
      for (const key of ['method', 'learns', 'steps', 'cost', 'inCourse'] as const)
        assert.ok(m[key].length > 0, `${m.method}.${key}`);
      assert.ok(m.citations.length > 0 && m.citations.every((c) => /arXiv \d{4}\.\d{5}/.test(c)), m.method);
    }
    assert.ok(
      DISTILLATION_METHODS.some((m) => m.citations.some((c) => c.includes('2202.00512'))),
      'progressive distillation cites Salimans & Ho',
    );
  });

  test('every notebook a method says it appears in really uses it (LCM-LoRA is not in notebook 03)', () => {
    const dir = path.join(root, 'scripts', 'notebooks');
    const source = (nn: string) =>
      readFileSync(path.join(dir, readdirSync(dir).filter((f) => f.startsWith(`${nn}-`))[0]), 'utf8');
    // What a notebook's source must contain to use the method (its name, its model or its published table).
    const uses: Record<string, RegExp> = {
      'Progressive distillation': /scenes-pd|progressive/i,
      'Consistency distillation / LCM': /LCM/,
      'LCM-LoRA': /LCM-LoRA|lcmLora/,
      'Adversarial diffusion distillation (SD-Turbo)': /add-coco2017|Turbo/,
      'Distribution matching distillation (DMD)': /dmd-coco2014|DMD/,
      'Rectified flow / InstaFlow': /InstaFlow|dmd-coco2014-30k-512-g3|add-coco2017/,
    };
    for (const m of DISTILLATION_METHODS) {
      const numbers = new Set<string>();
      if (/this notebook/.test(m.inCourse)) numbers.add('06');
      for (const [, list] of m.inCourse.matchAll(/notebooks? ((?:\d\d(?:-\d\d)?(?:, | and )?)+)/g)) {
        for (const part of list.split(/, | and /).filter((x) => x !== '')) {
          const [a, b] = part.split('-').map(Number);
          for (let n = a; n <= (b ?? a); n++) numbers.add(String(n).padStart(2, '0'));
        }
      }
      assert.ok(numbers.size > 0, `${m.method}: names no notebook`);
      for (const nn of numbers) assert.match(source(nn), uses[m.method], `${m.method} is said to be in notebook ${nn}`);
    }
  });
});

describe('diminishingReturns', () => {
  test('picks the fewest steps within the tolerance of the best, for lower-is-better and higher-is-better curves', () => {
    // FD: best 10 at 25 steps; within 10% means <= 11: 8 steps (10.8) is the first.
    const fd = diminishingReturns([1, 2, 4, 8, 15, 25], [120, 40, 15, 10.8, 10.3, 10], { better: 'lower' });
    assert.equal(fd.steps, 8);
    assert.equal(fd.bestSteps, 25);
    assert.match(fd.rule, /within 10% of the best/);
    // SSIM: best 0.9 at 15; within 5% means >= 0.855: 4 steps (0.86).
    assert.equal(
      diminishingReturns([15, 1, 4, 2], [0.9, 0.2, 0.86, 0.5], { better: 'higher', tolerance: 0.05 }).steps,
      4,
    );
    // Ties on the best go to the fewest steps; tolerance 0 then returns the best itself.
    assert.equal(diminishingReturns([1, 2, 4], [3, 1, 1], { better: 'lower', tolerance: 0 }).steps, 2);
  });

  test('bad inputs are refused', () => {
    throwsField(() => diminishingReturns([], [], { better: 'lower' }), 'steps');
    throwsField(() => diminishingReturns([1, 2], [1], { better: 'lower' }), 'values.length');
    throwsField(() => diminishingReturns([1, 2], [1, NaN], { better: 'lower' }), 'values[1]');
    throwsField(() => diminishingReturns([0, 2], [1, 2], { better: 'lower' }), 'steps[0]');
    throwsField(() => diminishingReturns([1], [1], { better: 'up' as 'lower' }), 'better');
    throwsField(() => diminishingReturns([1], [1], { better: 'lower', tolerance: 2 }), 'tolerance');
  });
});

describe('pairQuality', () => {
  test('flat grey 100 vs 110: PSNR 10 log10(255^2 / 100) and SSIM (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1) (worked by hand)', async () => {
    const q = await pairQuality([await flat(100)], [await flat(110)]);
    assert.ok(Math.abs(q.psnrDb - 10 * Math.log10((255 * 255) / 100)) < 1e-9, `PSNR ${q.psnrDb}`);
    const c1 = (0.01 * 255) ** 2;
    assert.ok(Math.abs(q.ssim - (2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1)) < 1e-9, `SSIM ${q.ssim}`);
    assert.equal(q.pairs, 1);
  });

  test('identical images give the PSNR cap and SSIM 1; only as many pairs as references are compared', async () => {
    const a = await flat(50);
    const q = await pairQuality([a, await flat(200)], [a]);
    assert.equal(q.psnrDb, PSNR_CAP_DB);
    assert.equal(q.ssim, 1);
    assert.equal(q.pairs, 1);
  });

  test('bad inputs are refused', async () => {
    await assert.rejects(
      pairQuality([], []),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'references',
    );
    await assert.rejects(
      pairQuality([], [await flat(1)]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'images',
    );
    await assert.rejects(
      pairQuality([await flat(1, 16)], [await flat(1, 20)]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'images[0]',
    );
  });
});

describe('measureQualityRow', { timeout: 120_000 }, () => {
  const dir = path.join(root, 'models', 'fixtures', 'tiny-sd');
  const spec = {
    name: 'DDIM 2',
    family: 'DDIM',
    dir,
    steps: 2,
    guidance: 3,
    scheduler: { _class_name: 'DDIMScheduler', timestep_spacing: 'trailing' },
  };

  test('generates one image per prompt (seed 1000 + i) and compares them with reference images: a rerun matches itself exactly', async () => {
    const pipelines = new PipelineCache();
    const reference = sceneReference(3);
    const first = await measureQualityRow(spec, { reference, keepSamples: 3, pipelines });
    assert.equal(first.images, 3);
    assert.equal(first.samples?.length, 3);
    assert.equal(first.frechet, undefined, 'no evaluator, no Frechet distance');
    const against = first.samples!.slice(0, 2).map((b) => Buffer.from(b, 'base64'));
    const again = await measureQualityRow(spec, { reference, against, pipelines });
    assert.equal(again.pairs, 2);
    assert.equal(again.psnrDb, PSNR_CAP_DB);
    assert.equal(again.ssim, 1);
    const other = await measureQualityRow({ ...spec, name: 'DDIM 1', steps: 1 }, { reference, against, pipelines });
    assert.ok(
      other.psnrDb! < PSNR_CAP_DB && other.ssim! < 1,
      `a different sampler gives different images (PSNR ${other.psnrDb})`,
    );
    await pipelines.release();
  });

  test('is cached: a second call with the same settings returns the stored row', async () => {
    const prev = process.env.FEWSTEP_CACHE_DIR;
    process.env.FEWSTEP_CACHE_DIR = mkdtempSync(path.join(os.tmpdir(), 'fewstep-nb06-cache-'));
    try {
      const reference = sceneReference(2);
      const a = await measureQualityRowCached(spec, { reference }, { notebook: '06-test' });
      const b = await measureQualityRowCached(spec, { reference }, { notebook: '06-test' });
      assert.deepEqual(b, a);
      assert.equal(b.seconds, a.seconds, 'the second value is the stored one (same timing)');
    } finally {
      if (prev === undefined) delete process.env.FEWSTEP_CACHE_DIR;
      else process.env.FEWSTEP_CACHE_DIR = prev;
    }
  });

  test('bad options are refused', async () => {
    const reference = sceneReference(2);
    await assert.rejects(
      measureQualityRow(spec, { reference, images: 3 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'images',
    );
    await assert.rejects(
      measureQualityRow({ ...spec, steps: 0 }, { reference }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'spec.steps',
    );
    await assert.rejects(
      measureQualityRow(spec, { reference, keepSamples: 5 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'keepSamples',
    );
  });
});
