import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import { computeFloorMs, countOnnxFlops, unetFlopShapes } from '../../src/bench/flops.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PY = '/usr/bin/python3';
const hasOnnx = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import onnx, numpy'], { encoding: 'utf8' }).status === 0;

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
