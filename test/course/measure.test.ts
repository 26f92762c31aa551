import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coursePlan } from '../../src/course/plan.js';
import {
  measureMethod,
  measureMethodCached,
  measuredParetoChart,
  measuredPoints,
  meanPsnr,
  scoreMethodCached,
  pairQuality,
  PipelineCache,
  prepareMethod,
  removePreparedFolders,
  publishedPanel,
  shippedMethods,
  timeMethodsInterleaved,
  withTimes,
  validateMethodSpec,
  type MethodMeasurement,
  type MethodSpec,
} from '../../src/course/measure.js';
import type { PublishedResult } from '../../src/course/published.js';
import { measureQualityRow } from '../../src/course/distillation.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { rawImageToPng } from '../../src/image/tensorPng.js';
import { sceneReference, scoreImages, SceneEvaluator } from '../../src/quality/sceneEvaluator.js';
import type { TextToImagePipeline } from '../../src/onnx/pipeline.js';

const root = path.resolve(__dirname, '..', '..', '..');
const fixturePlan = () => coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm' }, root });
const tinySd = path.join(root, 'models', 'fixtures', 'tiny-sd');
const spec = (over: Partial<MethodSpec> = {}): MethodSpec => ({ name: 'DDIM 2', family: 'DDIM', dir: tinySd, steps: 2, guidance: 3, scheduler: { _class_name: 'DDIMScheduler' }, ...over });
const pipes = new PipelineCache();
after(() => pipes.release());

/** A hand-made measurement for the chart tests. */
function fake(name: string, ms: number, frechet?: number): MethodMeasurement {
  return { spec: { name, family: name.split(' ')[0], dir: '/x', steps: Number(name.split(' ')[1]), guidance: 3 }, msPerImage: { medianMs: ms, q1Ms: ms, q3Ms: ms, iqrMs: 0.1, n: 5 }, images: 200, frechet, adherence: 0.9, seconds: 1 };
}

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
      assert.throws(() => validateMethodSpec(spec(over as Partial<MethodSpec>)), (e: unknown) => e instanceof InvalidArgumentError && e.field === field);
    });
  }
});

describe('shippedMethods', () => {
  test('on the shipped family sweeps teacher DDIM and DPM-Solver++ at guidance 3, LCM at its own default guidance, LCM-LoRA at guidance 1 and the PD students at guidance 0 with their own steps', () => {
    const specs = shippedMethods(coursePlan({ env: {}, root }), { lcmLoraDir: '/tmp/fused' });
    const families = [...new Set(specs.map((s) => s.family))];
    assert.deepEqual(families, ['DDIM', 'DPM-Solver++', 'LCM', 'LCM-LoRA', 'PD']);
    for (const s of specs.filter((x) => x.family === 'DDIM' || x.family === 'DPM-Solver++')) {
      assert.equal(path.basename(s.dir), 'scenes-teacher');
      assert.equal(s.guidance, 3);
    }
    assert.equal(specs.find((s) => s.family === 'DPM-Solver++')!.scheduler!.algorithm_type, 'dpmsolver++');
    assert.equal(specs.find((s) => s.family === 'DDIM')!.scheduler!._class_name, 'DDIMScheduler');
    const lora = specs.filter((s) => s.family === 'LCM-LoRA');
    assert.ok(lora.length > 0 && lora.every((s) => s.guidance === 1 && s.dir === '/tmp/fused' && s.lcmLora!.loraFile.endsWith('lora.safetensors')));
    const pd = specs.filter((s) => s.family === 'PD');
    assert.deepEqual(pd.map((s) => [s.steps, path.basename(s.dir), s.guidance]), [[1, 'scenes-pd-1', 0], [2, 'scenes-pd-2', 0], [4, 'scenes-pd-4', 0], [8, 'scenes-pd-8', 0]]);
    assert.equal(new Set(specs.map((s) => s.name)).size, specs.length, 'names are unique');
  });

  test('takes the step counts to sweep per family and leaves out families with an empty list', () => {
    const specs = shippedMethods(coursePlan({ env: {}, root }), { ddim: [4, 50], dpmSolver: [], fewStep: [4], lcmLora: [], progressive: [2] });
    assert.deepEqual(specs.map((s) => s.name), ['DDIM 4', 'DDIM 50', 'LCM 4', 'PD 2']);
  });

  test('on the fixture plan has no LoRA or PD students and uses the fixtures folders', () => {
    const specs = shippedMethods(fixturePlan());
    assert.deepEqual([...new Set(specs.map((s) => s.family))], ['DDIM', 'DPM-Solver++', 'LCM']);
    assert.ok(specs.every((s) => s.dir.includes(path.join('models', 'fixtures'))));
  });

  test('rejects step counts that are not integers from 1 to 1000, naming the family', () => {
    assert.throws(() => shippedMethods(fixturePlan(), { ddim: [0] }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'choice.ddim[0]');
    assert.throws(() => shippedMethods(fixturePlan(), { fewStep: 4 as unknown as number[] }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'choice.fewStep');
  });
});

describe('prepareMethod', () => {
  test('fuses an LCM-LoRA spec into a loadable folder with the LCMScheduler once, and removePreparedFolders deletes it', async () => {
    const plan = coursePlan({ env: {}, root });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'fewstep-lora-')), 'fused');
    const lora = shippedMethods(plan, { ddim: [], dpmSolver: [], fewStep: [], progressive: [], lcmLora: [4], lcmLoraDir: dir })[0];
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
  const grey = (v: number) => rawImageToPng({ data: new Uint8Array(8 * 8 * 3).fill(v), width: 8, height: 8, channels: 3 });
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
    const big = (v: number) => rawImageToPng({ data: new Uint8Array(16 * 16 * 3).fill(v), width: 16, height: 16, channels: 3 });
    assert.ok((await pairQuality([await big(128)], [await big(138)])).ssim < 1, 'with SSIM (needs 11x11 windows): computed');
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

describe('measureMethod on the tiny fixture', () => {
  test('generates image i for reference.prompts[i] with seed 1000 + i and times batch-1 runs with the bench harness', async () => {
    const reference = sceneReference(3);
    const m = await measureMethod(spec(), { reference, timingRepeats: 3, timingWarmup: 0, keepSamples: 3, pipelines: pipes });
    assert.equal(m.images, 3);
    assert.equal(m.msPerImage.n, 3);
    assert.ok(m.msPerImage.medianMs > 0 && m.msPerImage.q1Ms <= m.msPerImage.medianMs && m.msPerImage.medianMs <= m.msPerImage.q3Ms);
    assert.equal(m.frechet, undefined, 'no evaluator, no FD');
    const pipe = await pipes.get(tinySd);
    const direct = await pipe.generate({ prompt: reference.prompts[2], seed: 1002, steps: 2, guidance: 3, scheduler: { _class_name: 'DDIMScheduler' } });
    assert.deepEqual(Buffer.from(m.samples![2], 'base64'), direct.images[0]);
    assert.deepEqual(JSON.parse(JSON.stringify(m)), m, 'the result is JSON data');
  });

  test('PSNR against reference images of the same prompts and seeds: 100 dB against its own images, lower against another step count', async () => {
    const reference = sceneReference(2);
    const own = await measureMethod(spec(), { reference, timingRepeats: 1, keepSamples: 2, pipelines: pipes });
    const refs = own.samples!.map((b) => Buffer.from(b, 'base64'));
    const same = await measureMethod(spec(), { reference, timingRepeats: 1, psnrAgainst: refs, pipelines: pipes });
    assert.equal(same.psnrDb, 100);
    const other = await measureMethod(spec({ steps: 1, name: 'DDIM 1' }), { reference, timingRepeats: 1, psnrAgainst: refs, pipelines: pipes });
    assert.ok(other.psnrDb! < 60, `${other.psnrDb}`);
  });

  test('rejects an evaluator or PSNR references without a reference, and bad timing settings', async () => {
    await assert.rejects(measureMethod(spec(), { psnrAgainst: [], pipelines: pipes }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'reference');
    await assert.rejects(measureMethod(spec(), { timingRepeats: 0, pipelines: pipes }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'timingRepeats');
    await assert.rejects(measureMethod(spec({ steps: -1 }), { pipelines: pipes }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'spec.steps');
  });

  test('through the cache: the second call returns the stored measurement without measuring again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-measure-cache-'));
    const before = process.env.FEWSTEP_CACHE_DIR;
    process.env.FEWSTEP_CACHE_DIR = dir;
    try {
      const options = { reference: sceneReference(2), timingRepeats: 2, pipelines: pipes };
      const first = await measureMethodCached(spec(), options, { notebook: 'test' });
      const second = await measureMethodCached(spec(), options, { notebook: 'test' });
      assert.deepEqual(second, first, 'timings are noisy: equal samples mean the cache answered');
      const third = await measureMethodCached(spec({ steps: 1, name: 'DDIM 1' }), options, { notebook: 'test' });
      assert.equal(third.spec.steps, 1);
    } finally {
      if (before === undefined) delete process.env.FEWSTEP_CACHE_DIR;
      else process.env.FEWSTEP_CACHE_DIR = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('measureMethod with the scene evaluator (shipped models)', () => {
  // The image-set scores go through the measurement cache: keep them out of the project's out/cache.
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-score-cache-'));
  const before = process.env.FEWSTEP_CACHE_DIR;
  process.env.FEWSTEP_CACHE_DIR = cacheDir;
  after(() => {
    if (before === undefined) delete process.env.FEWSTEP_CACHE_DIR;
    else process.env.FEWSTEP_CACHE_DIR = before;
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('an image set is scored once: the second notebook (here measureQualityRow) gets the cached FD and adherence without generating the set again', async () => {
    const plan = coursePlan({ env: {}, root });
    const evaluator = await SceneEvaluator.open(plan.evaluator!);
    const pipe = await pipes.get(plan.fewStep!.dir);
    const generate = pipe.generate.bind(pipe);
    let images = 0;
    pipe.generate = (o) => {
      images += o?.prompts?.length ?? 1;
      return generate(o);
    };
    try {
      const reference = sceneReference(12, 7_000_000);
      const lcm: MethodSpec = { name: 'LCM 1', family: 'LCM', dir: plan.fewStep!.dir, steps: 1, guidance: 3 };
      const first = await scoreMethodCached(lcm, pipe, reference, evaluator, { batchSize: 6 });
      assert.equal(images, 12, 'one image per reference prompt');
      assert.deepEqual(await scoreMethodCached(lcm, pipe, reference, evaluator, { batchSize: 6 }), first);
      const row = await measureQualityRow(lcm, { reference, evaluator, batchSize: 6, pipelines: pipes });
      assert.equal(images, 12, 'nothing generated again');
      assert.equal(row.frechet, first.frechet);
      assert.equal(row.adherence, first.adherence);
      await scoreMethodCached({ ...lcm, steps: 2, name: 'LCM 2' }, pipe, reference, evaluator, { batchSize: 6 });
      assert.equal(images, 24, 'another step count is another image set');
    } finally {
      pipe.generate = generate;
      await evaluator.release();
    }
  });

  test('gives the Frechet distance and adherence that scoreImages gives on the same images', async () => {
    const plan = coursePlan({ env: {}, root });
    const evaluator = await SceneEvaluator.open(plan.evaluator!);
    try {
      const reference = sceneReference(12);
      const lcm: MethodSpec = { name: 'LCM 2', family: 'LCM', dir: plan.fewStep!.dir, steps: 2, guidance: 3 };
      const m = await measureMethod(lcm, { reference, evaluator, timingRepeats: 1, keepSamples: 12, batchSize: 5, pipelines: pipes });
      const q = await scoreImages(evaluator, m.samples!.map((b) => Buffer.from(b, 'base64')), reference);
      assert.equal(m.frechet, q.frechet);
      assert.equal(m.adherence, q.adherence);
      assert.equal(m.allCorrect, q.allCorrect);
      assert.ok(m.adherence! > 0.5, `a trained LCM follows its prompts: ${m.adherence}`);
    } finally {
      await evaluator.release();
    }
  });
});

describe('measuredPoints and measuredParetoChart', () => {
  const ms = [fake('LCM 1', 1, 30), fake('PD 2', 2, 10), fake('DDIM 4', 3, 20), fake('DDIM 25', 10, 8), fake('X 1', 5)];
  test('turn FD into quality -FD and leave out measurements without the metric', () => {
    const pts = measuredPoints(ms, 'frechet');
    assert.deepEqual(pts.map((p) => [p.cost, p.quality]), [[1, -30], [2, -10], [3, -20], [10, -8]]);
    assert.deepEqual(measuredPoints(ms, 'psnr'), []);
  });
  test('draw the front by ascending time and mark the knee worked out by hand (Kneedle: PD 2 at distance 0.564)', () => {
    const { figure, front, knee } = measuredParetoChart(measuredPoints(ms, 'frechet'), { title: 'Pareto', metric: 'frechet', source: 'test' });
    assert.deepEqual(front.map((p) => p.measurement.spec.name), ['LCM 1', 'PD 2', 'DDIM 25']);
    assert.equal(knee.measurement.spec.name, 'PD 2');
    const frontTrace = figure.data[1] as { x: number[]; y: number[]; customdata: string[] };
    assert.deepEqual(frontTrace.y, [30, 10, 8], 'y is the FD itself');
    assert.match(frontTrace.customdata[1], /PD, 2 steps.*time 2\.00 ms.*FD 10\.00.*adherence 90\.0%/);
    assert.equal((figure.layout as { meta?: { provenance?: string } }).meta?.provenance, 'measured');
  });
  test('put the quality axis on a log scale on request', () => {
    const pts = measuredPoints(ms, 'frechet');
    const axis = (logY?: boolean) => (measuredParetoChart(pts, { title: 'P', metric: 'frechet', source: 's', logY }).figure.layout as { yaxis?: { type?: string } }).yaxis?.type;
    assert.equal(axis(true), 'log');
    assert.notEqual(axis(), 'log');
  });
  test('rejects an empty point list', () => {
    assert.throws(() => measuredParetoChart([], { title: 't', metric: 'frechet', source: 's' }), InvalidArgumentError);
  });
});

describe('publishedPanel', () => {
  const rows = (JSON.parse(readFileSync(path.join(root, 'data', 'published-results.json'), 'utf8')) as { rows: PublishedResult[] }).rows;
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
    assert.deepEqual(p.series.find((s) => s.name === 'LCM-LoRA'), { name: 'LCM-LoRA', x: [1, 2, 4], y: [77.9, 24.28, 23.62] });
    assert.equal(publishedPanel(rows, 'dmd-coco2014-30k-512-g8', 'CLIP score').better, 'higher');
  });
  test('rejects an unknown table or metric, listing what exists', () => {
    assert.throws(() => publishedPanel(rows, 'no-such-table'), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'table' && /ddim-cifar10-fid50k/.test(e.message));
    assert.throws(() => publishedPanel(rows, 'pd-cifar10-fid', 'latency'), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'metric');
  });
});

describe('timeMethodsInterleaved and withTimes', () => {
  /** A pipeline cache whose pipelines only record which spec ran, in order. */
  class RecordingCache extends PipelineCache {
    readonly calls: string[] = [];
    override get(dir: string): Promise<TextToImagePipeline> {
      const generate = async (r: { steps: number }) => {
        this.calls.push(`${path.basename(dir)}:${r.steps}`);
      };
      return Promise.resolve({ generate } as unknown as TextToImagePipeline);
    }
  }
  test('runs every method once per round, interleaved, warm-up rounds untimed, and gives median and quartiles per method', async () => {
    const cache = new RecordingCache();
    const times = await timeMethodsInterleaved([spec({ steps: 2 }), spec({ steps: 5, dir: '/m/b' })], { rounds: 3, warmupRounds: 1, pipelines: cache });
    assert.deepEqual(cache.calls, ['tiny-sd:2', 'b:5', 'tiny-sd:2', 'b:5', 'tiny-sd:2', 'b:5', 'tiny-sd:2', 'b:5']);
    assert.deepEqual(times.map((t) => t.n), [3, 3]);
    assert.ok(times.every((t) => t.q1Ms <= t.medianMs && t.medianMs <= t.q3Ms && t.iqrMs === t.q3Ms - t.q1Ms));
  });
  test('times the real fixture pipeline end to end', async () => {
    const [t] = await timeMethodsInterleaved([spec()], { rounds: 2, warmupRounds: 0, pipelines: pipes });
    assert.ok(t.n === 2 && t.medianMs > 0);
  });
  test('rejects an empty list and bad round counts', async () => {
    await assert.rejects(timeMethodsInterleaved([]), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'specs');
    await assert.rejects(timeMethodsInterleaved([spec()], { rounds: 0 }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'rounds');
  });
  test('withTimes replaces msPerImage and keeps the rest; the counts must match', () => {
    const m = [fake('LCM 4', 9, 30)];
    const t = { medianMs: 3, q1Ms: 2, q3Ms: 4, iqrMs: 2, n: 9 };
    assert.deepEqual(withTimes(m, [t]), [{ ...m[0], msPerImage: t }]);
    assert.equal(m[0].msPerImage.medianMs, 9, 'the input is not changed');
    assert.throws(() => withTimes(m, []), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'times');
  });
});
