import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import {
  computeFloorMs,
  countOnnxFlops,
  publishedSpeedPanel,
  speedLineFit,
  speedRowsWhere,
  speedUp,
  stageBreakdown,
  sweepSizes,
  timeSweep,
  unetFlopShapes,
  type SpeedConfig,
} from '../../src/course/speed.js';
import type { PublishedResult } from '../../src/course/published.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PY = '/usr/bin/python3';
const hasOnnx = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import onnx, numpy'], { encoding: 'utf8' }).status === 0;

/**
 * A fake pipeline on a fake clock: a call costs 10 ms + 2 ms per step per 64x64 image area per image,
 * plus `jitter[k]` on its k-th call; it reports stage timings. Nothing real is timed.
 */
function fakeModel(jitter: number[] = []) {
  let clock = 0;
  const calls: string[] = [];
  const generate = (c: Required<SpeedConfig>) => {
    const k = calls.length;
    calls.push(`${c.method}-${c.steps}-${c.width}-${c.batch}`);
    const unet = 2 * c.steps * ((c.width * c.height) / (64 * 64)) * c.batch;
    clock += 10 + unet + (jitter[k] ?? 0);
    return {
      timings: {
        tokenizerMs: 0.5,
        textEncoderMs: 1.5,
        unetMs: new Array(c.steps).fill(unet / c.steps),
        schedulerMs: 1,
        vaeMs: 4,
        pngMs: 2,
      },
    };
  };
  return { generate, calls, now: () => clock };
}

describe('timeSweep', () => {
  test('times every configuration once per round, interleaved, after untimed warm-up rounds', async () => {
    const m = fakeModel();
    const configs = [
      { method: 'A', steps: 1, width: 64 },
      { method: 'B', steps: 4, width: 64 },
    ];
    const rows = await timeSweep(configs, m.generate, { warmup: 1, repeats: 3, now: m.now });
    assert.deepEqual(m.calls, [
      'A-1-64-1',
      'B-4-64-1',
      'A-1-64-1',
      'B-4-64-1',
      'A-1-64-1',
      'B-4-64-1',
      'A-1-64-1',
      'B-4-64-1',
    ]);
    assert.deepEqual(
      rows.map((r) => r.n),
      [3, 3],
    );
  });

  test('with minTimeMs, keeps timing only the configurations whose timed runs add up to less, up to maxRepeats', async () => {
    // A costs 10 + 2 = 12 ms, B 10 + 2 * 20 = 50 ms; minTimeMs 100: A needs 9 runs (108 ms), B 2 (100 ms).
    const m = fakeModel();
    const configs = [
      { method: 'A', steps: 1, width: 64 },
      { method: 'B', steps: 20, width: 64 },
    ];
    const rows = await timeSweep(configs, m.generate, { warmup: 1, repeats: 2, minTimeMs: 100, now: m.now });
    assert.deepEqual(
      rows.map((r) => r.n),
      [9, 2],
    );
    assert.deepEqual(m.calls.slice(0, 6), ['A-1-64-1', 'B-20-64-1', 'A-1-64-1', 'B-20-64-1', 'A-1-64-1', 'B-20-64-1']);
    assert.ok(m.calls.slice(6).every((c) => c === 'A-1-64-1'));
    const c = fakeModel();
    const capped = await timeSweep(configs, c.generate, {
      warmup: 0,
      repeats: 2,
      minTimeMs: 1e9,
      maxRepeats: 4,
      now: c.now,
    });
    assert.deepEqual(
      capped.map((r) => r.n),
      [4, 4],
    );
    await assert.rejects(timeSweep(configs, m.generate, { repeats: 5, maxRepeats: 3 }), /maxRepeats/);
  });

  test('reports the median and type-7 IQR of the timed calls, not of the warm-up, and per-image figures', async () => {
    // Calls (one config, batch 2, 64 px, 3 steps): base 10 + 2*3*2 = 22 ms; jitter: warm-up +1000, then +0, +8, +2, +4.
    const m = fakeModel([1000, 0, 8, 2, 4]);
    const [row] = await timeSweep([{ method: 'T', steps: 3, width: 64, batch: 2 }], m.generate, {
      warmup: 1,
      repeats: 4,
      now: m.now,
    });
    // Timed samples 22, 30, 24, 26 -> sorted 22, 24, 26, 30: median 25; q1 at h = 0.75: 23.5; q3 at h = 2.25: 27.
    assert.equal(row.medianMs, 25);
    assert.equal(row.q1Ms, 23.5);
    assert.equal(row.q3Ms, 27);
    assert.equal(row.iqrMs, 3.5);
    assert.equal(row.msPerImage, 12.5);
    assert.equal(row.iqrMsPerImage, 1.75);
    assert.equal(row.imagesPerMinute, 60_000 / 12.5);
    assert.equal(row.height, 64);
  });

  test('carries the median stage breakdown when generate returns timings, and none when it does not', async () => {
    const m = fakeModel();
    const [row] = await timeSweep([{ method: 'T', steps: 5, width: 64 }], m.generate, {
      warmup: 0,
      repeats: 3,
      now: m.now,
    });
    // 10 ms fixed + 10 ms UNet per call; the stages: text 2, UNet 10, scheduler 1, VAE 4, PNG 2 -> other 20 - 19 = 1.
    assert.deepEqual(row.breakdown, { textEncoderMs: 2, unetMs: 10, schedulerMs: 1, vaeMs: 4, pngMs: 2, otherMs: 1 });
    let t = 0;
    const [bare] = await timeSweep(
      [{ method: 'T', steps: 1, width: 8 }],
      () => {
        t += 5;
      },
      { warmup: 0, repeats: 2, now: () => t },
    );
    assert.equal(bare.breakdown, undefined);
    assert.equal(bare.medianMs, 5);
  });

  test('awaits asynchronous generate functions inside the timed region', async () => {
    let t = 0;
    const gen = async () => {
      await new Promise((r) => setImmediate(r));
      t += 7;
    };
    const [row] = await timeSweep([{ method: 'T', steps: 1, width: 8 }], gen, { warmup: 0, repeats: 2, now: () => t });
    assert.equal(row.medianMs, 7);
  });

  test('rejects empty or repeated configurations, bad steps, sizes and batches, and bad options, naming the field', async () => {
    const m = fakeModel();
    const rejects = (configs: unknown, field: RegExp, options = {}) =>
      assert.rejects(
        timeSweep(configs as SpeedConfig[], m.generate, { now: m.now, ...options }),
        (e: unknown) => e instanceof InvalidArgumentError && field.test(e.message),
      );
    await rejects([], /configs/);
    await rejects(
      [
        { method: 'A', steps: 1, width: 64 },
        { method: 'A', steps: 1, width: 64, height: 64, batch: 1 },
      ],
      /configs\[1\]/,
    );
    await rejects([{ method: 'A', steps: 0, width: 64 }], /configs\[0\]\.steps/);
    await rejects([{ method: 'A', steps: 2.5, width: 64 }], /configs\[0\]\.steps/);
    await rejects([{ method: '', steps: 1, width: 64 }], /configs\[0\]\.method/);
    await rejects([{ method: 'A', steps: 1, width: -64 }], /configs\[0\]\.width/);
    await rejects([{ method: 'A', steps: 1, width: 64, batch: 0 }], /configs\[0\]\.batch/);
    await rejects([{ method: 'A', steps: 1, width: 64 }], /repeats/, { repeats: 0 });
    await rejects([{ method: 'A', steps: 1, width: 64 }], /warmup/, { warmup: -1 });
    await assert.rejects(timeSweep([{ method: 'A', steps: 1, width: 64 }], 'nope' as never), InvalidArgumentError);
  });
});

describe('speedUp and speedRowsWhere', () => {
  const row = (method: string, steps: number, msPerImage: number, width = 64, batch = 1) => ({
    method,
    steps,
    width,
    height: width,
    batch,
    medianMs: msPerImage * batch,
    iqrMs: 0,
    q1Ms: 0,
    q3Ms: 0,
    n: 1,
    msPerImage,
    iqrMsPerImage: 0,
    imagesPerMinute: 60_000 / msPerImage,
  });
  const rows = [
    row('DPM', 50, 400),
    row('DPM', 25, 200),
    row('LCM', 4, 40),
    row('DPM', 50, 900, 128),
    row('LCM', 4, 10, 64, 8),
  ];

  test('is the baseline per-image time over each row per-image time', () => {
    const s = speedUp(rows, { method: 'DPM', steps: 50, width: 64 });
    assert.deepEqual(
      s.map((r) => r.speedUp),
      [1, 2, 10, 400 / 900, 40],
    );
  });

  test('needs exactly one baseline row: a missing one lists the rows, an ambiguous one asks for width and batch', () => {
    assert.throws(
      () => speedUp(rows, { method: 'DDIM', steps: 50 }),
      (e: unknown) => e instanceof InvalidArgumentError && /have: DPM 50@64px/.test(e.message),
    );
    assert.throws(
      () => speedUp(rows, { method: 'DPM', steps: 50 }),
      (e: unknown) => e instanceof InvalidArgumentError && /found 2/.test(e.message),
    );
    assert.throws(() => speedUp(rows, null as never), InvalidArgumentError);
  });

  test('speedRowsWhere keeps the rows equal on every given field', () => {
    assert.deepEqual(
      speedRowsWhere(rows, { method: 'LCM' }).map((r) => r.batch),
      [1, 8],
    );
    assert.deepEqual(
      speedRowsWhere(rows, { method: 'DPM', width: 64 }).map((r) => r.steps),
      [50, 25],
    );
    assert.throws(() => speedRowsWhere('x' as never, {}), InvalidArgumentError);
  });
});

describe('speedLineFit', () => {
  test('recovers an exact line: fixed cost, cost per step, r2 = 1', () => {
    const f = speedLineFit([1, 2, 4], [12, 14, 18]);
    assert.ok(Math.abs(f.fixedMs - 10) < 1e-12 && Math.abs(f.msPerStep - 2) < 1e-12 && Math.abs(f.r2 - 1) < 1e-12);
  });

  test('matches a least-squares fit worked by hand', () => {
    // (0,1), (1,3), (2,2): slope = 1/2, intercept 1.5; residuals -0.5, 1, -0.5 -> SSE 1.5; SST 2 -> r2 0.25.
    const f = speedLineFit([0, 1, 2], [1, 3, 2]);
    assert.ok(
      Math.abs(f.msPerStep - 0.5) < 1e-12 && Math.abs(f.fixedMs - 1.5) < 1e-12 && Math.abs(f.r2 - 0.25) < 1e-12,
    );
  });

  test('rejects unequal lengths, one distinct step count and negative times', () => {
    assert.throws(() => speedLineFit([1, 2], [1]), InvalidArgumentError);
    assert.throws(() => speedLineFit([4, 4], [1, 2]), /two distinct/);
    assert.throws(() => speedLineFit([1, 2], [1, -2]), /ms\[1\]/);
  });
});

describe('sweepSizes', () => {
  test('gives half, native, 1.5x and 2x native in multiples of 16 within the model limits', () => {
    assert.deepEqual(sweepSizes(64, 16, 256), [32, 64, 96, 128]);
    assert.deepEqual(sweepSizes(512, 128, 2048), [256, 512, 768, 1024]);
    assert.deepEqual(sweepSizes(32, 8, 128), [16, 32, 48, 64]);
    assert.deepEqual(sweepSizes(64, 64, 64), [64]);
    assert.deepEqual(sweepSizes(64, 16, 100), [32, 64, 96]);
  });

  test('rejects a maximum below the minimum and non-integer sizes', () => {
    assert.throws(() => sweepSizes(64, 128, 64), /maxSize/);
    assert.throws(() => sweepSizes(64.5, 16, 256), /nativeSize/);
  });
});

describe('computeFloorMs', () => {
  test('reproduces the published SD 1.5 floors: 2 x 0.80 TFLOP per CFG step at the H100 and T4 dense fp16 peaks', () => {
    // data/published-results.json, table sd15-compute-floor: 1.62 ms (H100, 989 TFLOP/s), 24.7 ms (T4, 65 TFLOP/s).
    assert.ok(Math.abs(computeFloorMs(1.6e12, 989) - 1.62) < 0.01);
    assert.ok(Math.abs(computeFloorMs(1.6e12, 65) - 24.7) / 24.7 < 0.01);
  });

  test('rejects a zero or negative peak and negative FLOPs', () => {
    assert.throws(() => computeFloorMs(1e9, 0), /peakTflops/);
    assert.throws(() => computeFloorMs(-1, 10), /flops/);
  });
});

describe('unetFlopShapes', () => {
  const scenes = [
    { name: 'sample', shape: ['batch', 4, 'height', 'width'] },
    { name: 'timestep', shape: ['steps'] },
    { name: 'encoder_hidden_states', shape: ['batch', 32, 64] },
  ];

  test('fills batch, latent size and the timestep from the options and keeps fixed dimensions', () => {
    assert.deepEqual(unetFlopShapes(scenes, { rows: 2, latentChannels: 4, latentHeight: 8, latentWidth: 12 }), {
      sample: [2, 4, 8, 12],
      timestep: [1],
      encoder_hidden_states: [2, 32, 64],
    });
  });

  test('fills a symbolic sequence length and the LCM guidance embedding width; a scalar timestep stays []', () => {
    const lcm = [
      { name: 'sample', shape: ['b', 4, 'h', 'w'] },
      { name: 'timestep', shape: [] },
      { name: 'encoder_hidden_states', shape: ['b', 'sequence', 768] },
      { name: 'timestep_cond', shape: ['b', 'd'] },
    ];
    assert.deepEqual(
      unetFlopShapes(lcm, { rows: 1, latentChannels: 4, latentHeight: 64, latentWidth: 64, timeCondDim: 256 }),
      {
        sample: [1, 4, 64, 64],
        timestep: [],
        encoder_hidden_states: [1, 77, 768],
        timestep_cond: [1, 256],
      },
    );
  });

  test('throws naming an input whose symbolic dimension it cannot fill', () => {
    const bad = [...scenes, { name: 'extra', shape: ['n', 3] }];
    assert.throws(
      () => unetFlopShapes(bad, { rows: 1, latentChannels: 4, latentHeight: 8, latentWidth: 8 }),
      /inputs\.extra/,
    );
    const width = [{ name: 'encoder_hidden_states', shape: ['b', 77, 'hidden'] }];
    assert.throws(
      () => unetFlopShapes(width, { rows: 1, latentChannels: 4, latentHeight: 8, latentWidth: 8 }),
      /inputs\.encoder_hidden_states/,
    );
    assert.throws(
      () => unetFlopShapes(scenes, { rows: 0, latentChannels: 4, latentHeight: 8, latentWidth: 8 }),
      /rows/,
    );
  });
});

describe('countOnnxFlops', () => {
  test(
    'counts a one-Conv graph as worked by hand: 1 x 5 x 8 x 8 outputs x 3 x 3 x 3 = 8640 MACs',
    { skip: !hasOnnx && 'needs /usr/bin/python3 with onnx' },
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-speed-test-'));
      const file = path.join(dir, 'conv.onnx');
      const make = [
        'import sys, numpy as np, onnx',
        'from onnx import helper, numpy_helper, TensorProto as T',
        "w = numpy_helper.from_array(np.zeros((5, 3, 3, 3), np.float32), 'w')",
        "n = helper.make_node('Conv', ['x', 'w'], ['y'], pads=[1, 1, 1, 1])",
        "g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', T.FLOAT, ['b', 3, 'h', 'w'])], [helper.make_tensor_value_info('y', T.FLOAT, None)], [w])",
        "onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), sys.argv[1])",
      ].join('\n');
      try {
        const r = spawnSync(PY, ['-c', make, file], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const c = countOnnxFlops(file, { x: [1, 3, 8, 8] });
        assert.equal(c.macs, 8640);
        assert.equal(c.flops, 17280);
        assert.equal(c.perOp.Conv, 8640);
        assert.equal(countOnnxFlops(file, { x: [2, 3, 16, 8] }).macs, 8640 * 4);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test(
    'counts the fixture UNet in proportion to its rows when every input (timestep included) has them',
    { skip: !hasOnnx && 'needs /usr/bin/python3 with onnx' },
    () => {
      const unet = path.join(ROOT, 'models', 'fixtures', 'tiny-sd', 'unet', 'model.onnx');
      const shapes = (rows: number) => ({
        sample: [rows, 4, 4, 4],
        timestep: [rows],
        encoder_hidden_states: [rows, 77, 16],
      });
      const one = countOnnxFlops(unet, shapes(1));
      assert.ok(one.macs > 0);
      assert.equal(countOnnxFlops(unet, shapes(2)).macs, 2 * one.macs);
    },
  );

  test('names a missing model file, bad dimensions, a missing Python and a graph it cannot count', () => {
    const unet = path.join(ROOT, 'models', 'fixtures', 'tiny-sd', 'unet', 'model.onnx');
    assert.throws(
      () => countOnnxFlops('/no/such/model.onnx', { x: [1] }),
      (e: unknown) => e instanceof InvalidArgumentError && /modelFile/.test(e.message),
    );
    assert.throws(() => countOnnxFlops(unet, {}), /inputs/);
    assert.throws(() => countOnnxFlops(unet, { sample: [1, 4, 0, 4] }), /inputs\.sample\[2\]/);
    assert.throws(
      () => countOnnxFlops(unet, { sample: [1, 4, 4, 4] }, { python: '/no/such/python3' }),
      MissingResourceError,
    );
  });

  test(
    'reports a graph it cannot resolve as an argument error with the counter message',
    { skip: !hasOnnx && 'needs /usr/bin/python3 with onnx' },
    () => {
      const unet = path.join(ROOT, 'models', 'fixtures', 'tiny-sd', 'unet', 'model.onnx');
      // Without the sample shape pinned, the counter cannot infer the Conv shapes.
      assert.throws(
        () => countOnnxFlops(unet, { timestep: [1] }),
        (e: unknown) => e instanceof InvalidArgumentError && /count_flops\.py/.test(e.message),
      );
    },
  );
});

describe('published speed panels', () => {
  const data = JSON.parse(fs.readFileSync(path.join(ROOT, 'data', 'published-results.json'), 'utf8')) as {
    rows: PublishedResult[];
  };

  test('draw one table: one category per method, one bar group per hardware, the published values, cited', () => {
    const fig = publishedSpeedPanel(data.rows, 'stable-fast-sd15-512-its');
    const bars = fig.data as { name: string; x: string[]; y: number[] }[];
    assert.deepEqual(
      bars.map((b) => b.name),
      ['H100', 'A100'],
    );
    assert.deepEqual(bars[0].x, ['PyTorch', 'torch.compile', 'stable-fast']);
    // The stable-fast README table: H100 54.5 / 66 / 104.6 it/s, A100 35.6 / 41.9 / 61.8 it/s.
    assert.deepEqual(bars[0].y, [54.5, 66, 104.6]);
    assert.deepEqual(bars[1].y, [35.6, 41.9, 61.8]);
    const meta = (fig.layout as { meta: { provenance: string; source: string } }).meta;
    assert.equal(meta.provenance, 'published');
    assert.match(meta.source, /github\.com\/chengzeyi\/stable-fast/);
  });

  test('split a table with several metrics by metric and label methods with their step counts', () => {
    assert.throws(() => publishedSpeedPanel(data.rows, 'ort-olive-sd-turbo-a100-512'), /metric/);
    const fig = publishedSpeedPanel(data.rows, 'ort-olive-sd-turbo-a100-512', 'throughput');
    const bars = fig.data as { x: string[]; y: number[] }[];
    assert.deepEqual(bars[0].x, [
      'SD-Turbo, ORT CUDA, 1 step',
      'SD-Turbo, PyTorch compiled, 1 step',
      'SD-Turbo, ORT CUDA, 4 steps',
    ]);
    assert.deepEqual(bars[0].y, [26.2, 21.3, 14.6]);
  });

  test('reject an unknown table or metric', () => {
    assert.throws(() => publishedSpeedPanel(data.rows, 'no-such-table'), /table/);
    assert.throws(() => publishedSpeedPanel(data.rows, 'ort-sd15-512-50steps', 'FID'), /metric/);
  });
});

describe('stageBreakdown', () => {
  test('takes each stage median separately and never reports negative other time', () => {
    const r = (unet: number) => ({
      timings: { tokenizerMs: 0, textEncoderMs: 1, unetMs: [unet], schedulerMs: 0, vaeMs: 1, pngMs: 1 },
    });
    assert.deepEqual(stageBreakdown([r(5), r(9), r(7)], 5), {
      textEncoderMs: 1,
      unetMs: 7,
      schedulerMs: 0,
      vaeMs: 1,
      pngMs: 1,
      otherMs: 0,
    });
    assert.equal(stageBreakdown([{}, {}], 3), undefined);
  });
});
