import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  achieved,
  benchFileName,
  defaultBenchModels,
  fp16PeakFor,
  parseBenchGpuArgs,
  parseIntList,
  parseNvidiaSmi,
  readFlopsJson,
} from '../../src/cli/benchGpu.js';

describe('fp16PeakFor: dense fp16 tensor peak from the nvidia-smi GPU name', () => {
  test('H100 SXM (nvidia-smi "NVIDIA H100 80GB HBM3") is 989 TFLOP/s, H100 PCIe 756', () => {
    assert.deepEqual(fp16PeakFor('NVIDIA H100 80GB HBM3'), { gpu: 'H100 SXM', tflops: 989 });
    assert.deepEqual(fp16PeakFor('NVIDIA H100 PCIe'), { gpu: 'H100 PCIe', tflops: 756 });
  });
  test('H200 989, A100 312, T4 65', () => {
    assert.equal(fp16PeakFor('NVIDIA H200')?.tflops, 989);
    assert.equal(fp16PeakFor('NVIDIA A100-SXM4-80GB')?.tflops, 312);
    assert.equal(fp16PeakFor('Tesla T4')?.tflops, 65);
  });
  test('an unknown or absent GPU has no peak', () => {
    assert.equal(fp16PeakFor('NVIDIA GeForce RTX 3060'), undefined);
    assert.equal(fp16PeakFor(undefined), undefined);
  });
});

describe('achieved: TFLOP/s and fraction of peak', () => {
  test('0.8 TFLOP in 1 ms is 800 TFLOP/s, 80% of a 1000 TFLOP/s peak', () => {
    const a = achieved(0.8e12, 1, 1000);
    assert.ok(Math.abs(a.tflops - 800) < 1e-9);
    assert.ok(Math.abs((a.fractionOfPeak ?? 0) - 0.8) < 1e-12);
  });
  test('the published H100 floor: 2 x 0.80 TFLOP at 989 TFLOP/s takes 1.62 ms', () => {
    assert.ok(Math.abs(achieved(1.6e12, 1.6178, 989).fractionOfPeak! - 1) < 1e-3);
  });
  test('no peak gives no fraction; a zero duration is rejected', () => {
    assert.equal(achieved(1e12, 10).fractionOfPeak, undefined);
    assert.throws(() => achieved(1e12, 0, 989), InvalidArgumentError);
  });
});

describe('parseNvidiaSmi', () => {
  test('reads name, driver and memory per line', () => {
    assert.deepEqual(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 580.159.04, 81559\n'), [
      { name: 'NVIDIA H100 80GB HBM3', driver: '580.159.04', memoryMiB: 81559 },
    ]);
    assert.deepEqual(parseNvidiaSmi(''), []);
  });
});

describe('bench:gpu file name and arguments', () => {
  test('data file is gpu-bench-<date>-<host>.json, the host made file-safe, -quick for quick runs', () => {
    const d = new Date('2026-11-26T10:00:00Z');
    assert.equal(benchFileName(d, 'gpu box/1', false), 'gpu-bench-2026-11-26-gpu-box-1.json');
    assert.equal(benchFileName(d, '', true), 'gpu-bench-2026-11-26-host-quick.json');
  });
  test('parseIntList takes positive integers and names the field on bad input', () => {
    assert.deepEqual(parseIntList('--steps', '1,4, 8'), [1, 4, 8]);
    for (const bad of ['', '1,,2', '0', '1.5', 'a']) {
      assert.throws(
        () => parseIntList('--steps', bad),
        (e: unknown) => e instanceof InvalidArgumentError && /--steps/.test((e as Error).message),
      );
    }
  });
  test('defaults: the full grid, both dtypes, batch 1 and 2, out in data/', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchgpu-'));
    const o = parseBenchGpuArgs([], root, new Date('2026-11-26T00:00:00Z'), 'h');
    assert.deepEqual(o.steps, [1, 4, 8, 50]);
    assert.deepEqual(o.batches, [1, 4, 16]);
    assert.deepEqual(o.sdBatches, [1, 2]);
    assert.deepEqual(o.sdDtypes, ['fp16', 'fp32']);
    assert.equal(o.device, 'auto');
    assert.equal(o.sdOnCpu, false);
    assert.equal(o.out, path.join(root, 'data', 'gpu-bench-2026-11-26-h.json'));
    assert.deepEqual(o.models, [path.join(root, 'models', 'fixtures', 'tiny-lcm')]);
  });
  test('bad --device, --parts and --sd-dtypes are rejected by name', () => {
    assert.throws(
      () => parseBenchGpuArgs(['--device', 'gpu']),
      (e: unknown) => e instanceof InvalidArgumentError && /--device/.test((e as Error).message),
    );
    assert.throws(
      () => parseBenchGpuArgs(['--parts', 'model,vae']),
      (e: unknown) => e instanceof InvalidArgumentError && /--parts/.test((e as Error).message),
    );
    assert.throws(
      () => parseBenchGpuArgs(['--sd-dtypes', 'bf16']),
      (e: unknown) => e instanceof InvalidArgumentError && /--sd-dtypes/.test((e as Error).message),
    );
  });
  test('shipped models are preferred over the fixture when their folders exist', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchgpu-'));
    fs.mkdirSync(path.join(root, 'models', 'scenes-lcm'), { recursive: true });
    fs.writeFileSync(path.join(root, 'models', 'scenes-lcm', 'model_index.json'), '{}');
    assert.deepEqual(defaultBenchModels(root), [path.join(root, 'models', 'scenes-lcm')]);
  });
  test('readFlopsJson reads flops.json beside the SD-scale graphs, null when absent', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchgpu-'));
    assert.equal(readFlopsJson(dir), null);
    fs.writeFileSync(
      path.join(dir, 'flops.json'),
      JSON.stringify({ flops_per_evaluation: { '1': 8e11, '2': 1.6e12 } }),
    );
    assert.equal(readFlopsJson(dir)?.flops_per_evaluation['2'], 1.6e12);
  });
});
