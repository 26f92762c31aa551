import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coursePlan } from '../../src/course/plan.js';
import {
  meanPsnr,
  pairQuality,
  PipelineCache,
  prepareMethod,
  removePreparedFolders,
  validateMethodSpec,
  type MethodSpec,
} from '../../src/course/measure.js';
import { publishedPanel, type PublishedResult } from '../../src/course/published.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { rawImageToPng } from '../../src/image/tensorPng.js';

const root = path.resolve(__dirname, '..', '..', '..');
const tinySd = path.join(root, 'models', 'fixtures', 'tiny-sd');
const spec = (over: Partial<MethodSpec> = {}): MethodSpec => ({
  name: 'DDIM 2',
  family: 'DDIM',
  dir: tinySd,
  steps: 2,
  guidance: 3,
  scheduler: { _class_name: 'DDIMScheduler' },
  ...over,
});
const pipes = new PipelineCache();
after(() => pipes.release());

describe('validateMethodSpec', () => {
  test('accepts a complete spec', () => validateMethodSpec(spec()));
  for (const [field, over] of [
    ['spec.name', { name: '' }],
    ['spec.family', { family: 3 as unknown as string }],
    ['spec.dir', { dir: ' ' }],
    ['spec.steps', { steps: 0 }],
    ['spec.steps', { steps: 2.5 }],
    ['spec.guidance', { guidance: -1 }],
    ['spec.guidance', { guidance: NaN }],
  ] as const) {
    test(`rejects a bad ${field} (${JSON.stringify(Object.values(over)[0])}) naming the field`, () => {
      assert.throws(
        () => validateMethodSpec(spec(over as Partial<MethodSpec>)),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      );
    });
  }
});

describe('prepareMethod', () => {
  test('fuses an LCM-LoRA spec into a loadable folder with the LCMScheduler once, and removePreparedFolders deletes it', async () => {
    const plan = coursePlan({ env: {}, root });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'fewstep-lora-')), 'fused');
    const lora = {
      name: 'LCM-LoRA 4',
      family: 'LCM-LoRA',
      dir,
      steps: 4,
      guidance: 1,
      lcmLora: { teacherDir: plan.teacher!.dir, loraFile: plan.lcmLora! },
    };
    prepareMethod(lora);
    const index = JSON.parse(readFileSync(path.join(dir, 'model_index.json'), 'utf8')) as { scheduler: string[] };
    assert.deepEqual(index.scheduler, ['diffusers', 'LCMScheduler']);
    const cache = new PipelineCache();
    assert.equal((await cache.get(dir)).family, 'sd');
    await cache.release();
    removePreparedFolders([lora]);
    assert.equal(existsSync(dir), false);
  });
  test('leaves other specs alone and rejects invalid ones', () => {
    assert.equal(prepareMethod(spec()).dir, tinySd);
    assert.throws(() => prepareMethod(spec({ dir: '' })), InvalidArgumentError);
  });
});

describe('meanPsnr', () => {
  const grey = (v: number) =>
    rawImageToPng({ data: new Uint8Array(8 * 8 * 3).fill(v), width: 8, height: 8, channels: 3 });
  test('is 20 log10(255 / 10) = 28.13 dB for grey levels 128 and 138 (PSNR definition on 8-bit levels)', async () => {
    const got = await meanPsnr([await grey(128)], [await grey(138)]);
    assert.ok(Math.abs(got - 20 * Math.log10(255 / 10)) < 1e-6, `${got}`);
  });
  test('averages over the references only and caps identical images at 100 dB', async () => {
    const a = await grey(128);
    const got = await meanPsnr([a, await grey(128), await grey(0)], [a, await grey(138)]);
    assert.ok(Math.abs(got - (100 + 20 * Math.log10(25.5)) / 2) < 1e-6, `${got}`);
  });
  test('is pairQuality without SSIM: the same PSNR, SSIM not computed (NaN)', async () => {
    const q = await pairQuality([await grey(128)], [await grey(138)], { ssim: false });
    assert.equal(q.psnrDb, await meanPsnr([await grey(128)], [await grey(138)]));
    assert.ok(Number.isNaN(q.ssim));
    const big = (v: number) =>
      rawImageToPng({ data: new Uint8Array(16 * 16 * 3).fill(v), width: 16, height: 16, channels: 3 });
    assert.ok(
      (await pairQuality([await big(128)], [await big(138)])).ssim < 1,
      'with SSIM (needs 11x11 windows): computed',
    );
  });
  test('rejects an empty reference list or fewer images than references', async () => {
    await assert.rejects(meanPsnr([await grey(1)], []), InvalidArgumentError);
    await assert.rejects(meanPsnr([], [await grey(1)]), InvalidArgumentError);
  });
});

describe('PipelineCache', () => {
  test('loads a folder once and hands the same pipeline back; release empties it', async () => {
    const cache = new PipelineCache();
    const a = await cache.get(tinySd);
    assert.equal(await cache.get(path.join(tinySd, '.')), a);
    assert.equal(cache.size, 1);
    await cache.release();
    assert.equal(cache.size, 0);
  });
  test('does not keep a failed load', async () => {
    const cache = new PipelineCache();
    await assert.rejects(cache.get(path.join(root, 'models', 'no-such-model')));
    assert.equal(cache.size, 0);
  });
});

describe('publishedPanel', () => {
  const rows = (
    JSON.parse(readFileSync(path.join(root, 'data', 'published-results.json'), 'utf8')) as { rows: PublishedResult[] }
  ).rows;
  test("gives LCM's FID per step count from Luo et al. Table 1 without mixing in its CLIP scores", () => {
    const p = publishedPanel(rows, 'lcm-laion-aes6-512-g8');
    assert.equal(p.metric, 'FID');
    const lcm = p.series.find((s) => s.name === 'LCM')!;
    assert.deepEqual(lcm, { name: 'LCM', x: [1, 2, 4, 8], y: [35.36, 13.31, 11.1, 11.84] });
    assert.match(p.citation, /Luo.*Table 1.*2310\.04378/);
  });
  test('picks another metric on request and lists rows without a step count apart', () => {
    const p = publishedPanel(rows, 'dmd-coco2014-30k-512-g8', 'FID');
    assert.deepEqual(p.withoutSteps, ['SD 1.5 (teacher): 13.45']);
    assert.deepEqual(
      p.series.find((s) => s.name === 'LCM-LoRA'),
      { name: 'LCM-LoRA', x: [1, 2, 4], y: [77.9, 24.28, 23.62] },
    );
    assert.equal(publishedPanel(rows, 'dmd-coco2014-30k-512-g8', 'CLIP score').better, 'higher');
  });
  test('rejects an unknown table or metric, listing what exists', () => {
    assert.throws(
      () => publishedPanel(rows, 'no-such-table'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'table' && /ddim-cifar10-fid50k/.test(e.message),
    );
    assert.throws(
      () => publishedPanel(rows, 'pd-cifar10-fid', 'latency'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'metric',
    );
  });
});
