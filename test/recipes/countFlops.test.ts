import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The FLOP counter is Python (onnx shape inference); these run when Debian's python3-onnx is there.
const PY = '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..', '..');
const hasOnnx = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import onnx, numpy'], { encoding: 'utf8' }).status === 0;

describe('count_flops.py (multiply-accumulates of an ONNX graph)', () => {
  test(
    'counts hand-worked Conv, grouped/strided Conv, ConvTranspose, MatMul (linear and attention), Gemm and a Where-computed shape exactly',
    { skip: !hasOnnx && 'needs /usr/bin/python3 with onnx' },
    () => {
      const r = spawnSync(PY, [path.join(ROOT, 'models', 'recipes', 'count_flops.py'), '--self-test'], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal((r.stdout.match(/^ok /gm) ?? []).length, 9, r.stdout);
    },
  );

  test('the recorded SD 1.5 check agrees with the published 0.80 TFLOP and between its two counting routes', () => {
    const rec = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'recipes', 'count_flops_sd15.json'), 'utf8'));
    assert.ok(Math.abs(rec.onnx_count_tflop - 0.8) / 0.8 < 0.01, `ONNX count ${rec.onnx_count_tflop}`);
    const hooks = Object.values(rec.hooks_macs as Record<string, number>).reduce((a, b) => a + b, 0);
    const onnx = Object.values(rec.onnx_count_macs_per_op as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.equal(onnx, hooks);
  });

  test('the SD-scale UNet record is within 2% of 0.80 TFLOP per evaluation at batch 1 and doubles at batch 2', () => {
    const rec = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'recipes', 'sd_scale_unet.flops.json'), 'utf8'));
    const f1 = rec.flops_per_evaluation['1'];
    const f2 = rec.flops_per_evaluation['2'];
    assert.ok(Math.abs(f1 / 1e12 - 0.8) / 0.8 < 0.02, `batch 1: ${f1}`);
    assert.ok(Math.abs(f2 / (2 * f1) - 1) < 1e-3, `batch 2: ${f2}`);
  });
});
