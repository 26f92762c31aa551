import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { fuseLora, loadLora, normalizeModulePath, parseLoraKey, type LoraAdapter } from '../../src/onnx/lora.js';
import {
  decodeOnnxModel,
  externalDataSessionOptions,
  listInitializers,
  readTensorAsFloat32,
} from '../../src/onnx/onnxProto.js';
import { encodeSafetensors } from '../../src/onnx/safetensors.js';
import { buildModel, rawFloatTensor } from './loraTestModels.js';

const FIX = resolve(__dirname, '../../../test/fixtures/lora');
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, f)));
interface Outputs {
  tokens: number[];
  logits: number[];
}
const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
  input: { dims: number[]; data: number[] };
  kohya: Outputs & { scale: number };
  peft: Outputs;
  peft_fp16_model: Outputs;
};

async function runTiny(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<Outputs> {
  const session = await ort.InferenceSession.create(bytes, options);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(ref.input.data), ref.input.dims) });
  return { tokens: Array.from(out.tokens.data as Float32Array), logits: Array.from(out.logits.data as Float32Array) };
}

function assertClose(actual: Outputs, expected: Outputs, tol: number): void {
  for (const k of ['tokens', 'logits'] as const) {
    expected[k].forEach((v, i) =>
      assert.ok(Math.abs(actual[k][i] - v) <= tol, `${k}[${i}]: ${actual[k][i]} vs torch ${v}`),
    );
  }
}

describe('LoRA key styles', () => {
  test('peft, kohya and diffusers keys split into base key and factor', () => {
    assert.deepEqual(parseLoraKey('unet.mid_block.attentions.0.proj_in.lora_A.weight'), {
      baseKey: 'unet.mid_block.attentions.0.proj_in',
      part: 'down',
    });
    assert.deepEqual(parseLoraKey('base_model.model.q_proj.lora_B.default.weight'), {
      baseKey: 'base_model.model.q_proj',
      part: 'up',
    });
    assert.deepEqual(parseLoraKey('lora_unet_mid_block_attentions_0_proj_in.lora_up.weight'), {
      baseKey: 'lora_unet_mid_block_attentions_0_proj_in',
      part: 'up',
    });
    assert.deepEqual(parseLoraKey('lora_unet_mid_block_attentions_0_proj_in.alpha'), {
      baseKey: 'lora_unet_mid_block_attentions_0_proj_in',
      part: 'alpha',
    });
    assert.deepEqual(parseLoraKey('unet.up.attn1.processor.to_out_lora.down.weight'), {
      baseKey: 'unet.up.attn1.processor.to_out',
      part: 'down',
    });
    assert.deepEqual(parseLoraKey('a.b.lora.up.weight'), { baseKey: 'a.b', part: 'up' });
    assert.equal(parseLoraKey('a.b.weight'), undefined);
  });
  test('normalisation makes the three styles and an ONNX node scope meet', () => {
    const expected = 'down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
    assert.deepEqual(normalizeModulePath('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q'), {
      normalized: expected,
      component: 'unet',
    });
    assert.equal(
      normalizeModulePath('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q').normalized,
      expected,
    );
    assert.equal(
      normalizeModulePath('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q').normalized,
      expected,
    );
    assert.equal(
      normalizeModulePath('down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q').normalized,
      expected,
    );
    assert.equal(normalizeModulePath('unet.a.processor.to_out').normalized, 'a_to_out_0');
    assert.deepEqual(normalizeModulePath('lora_te_text_model_encoder_layers_0_self_attn_q_proj'), {
      normalized: 'text_model_encoder_layers_0_self_attn_q_proj',
      component: 'text_encoder',
    });
  });
});

describe('fuseLora on hand-worked 2x2 models', () => {
  // W = [[1, 2], [3, 4]]; A = [[1, 0]] (r = 1, in = 2); B = [[0], [1]] (out = 2) -> B @ A = [[0, 0], [1, 0]] ([out, in]).
  const lora = (alpha?: number): LoraAdapter =>
    loadLora(
      encodeSafetensors({
        'lora_unet_lin.lora_down.weight': { shape: [1, 2], data: [1, 0] },
        'lora_unet_lin.lora_up.weight': { shape: [2, 1], data: [0, 1] },
        ...(alpha === undefined ? {} : { 'lora_unet_lin.alpha': { shape: [], data: [alpha] } }),
      }),
    );
  const x = new ort.Tensor('float32', Float32Array.from([1, 1]), [1, 2]);

  test('MatMul weight [in, out]: the delta goes in transposed (y = x W)', async () => {
    const model = buildModel(
      [{ input: ['x', 'onnx::MatMul_7'], output: ['y'], opType: 'MatMul', name: '/lin/MatMul' }],
      [rawFloatTensor('onnx::MatMul_7', [2, 2], [1, 2, 3, 4])],
      [1, 2],
      [1, 2],
    );
    // scale 0.5, alpha 1, r 1: W[k=0][o=1] += 0.5 -> [[1, 2.5], [3, 4]]; x = [1, 1] -> y = [4, 6.5]
    const { bytes, report } = fuseLora(model, lora(1), { scale: 0.5 });
    assert.deepEqual(
      report.matched.map((m) => [m.initializer, m.layout, m.maxAbsDelta]),
      [['onnx::MatMul_7', 'in-out', 0.5]],
    );
    const out = await (await ort.InferenceSession.create(bytes)).run({ x });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [4, 6.5]);
  });
  test('Gemm with transB = 1 keeps W as [out, in]: the delta goes in as is', async () => {
    const model = buildModel(
      [
        {
          input: ['x', 'lin.weight'],
          output: ['y'],
          opType: 'Gemm',
          name: '/lin/Gemm',
          attribute: [{ name: 'transB', i: 1, type: 2 } as never],
        },
      ],
      [rawFloatTensor('lin.weight', [2, 2], [1, 2, 3, 4])],
      [1, 2],
      [1, 2],
    );
    // alpha 2, r 1, scale 0.5: factor 1; W[o=1][k=0] += 1 -> [[1, 2], [4, 4]]; y_o = sum_k x_k W[o][k] = [3, 8]
    const { bytes, report } = fuseLora(model, lora(2), { scale: 0.5 });
    assert.equal(report.matched[0].layout, 'out-in');
    const out = await (await ort.InferenceSession.create(bytes)).run({ x });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [3, 8]);
  });
  test('a square weight matched by name alone, with no MatMul/Gemm/Conv use, is reported ambiguous', () => {
    const model = buildModel(
      [{ input: ['x', 'lin.weight'], output: ['y'], opType: 'Add', name: '/lin/Add' }],
      [rawFloatTensor('lin.weight', [2, 2], [1, 2, 3, 4])],
      [2, 2],
      [2, 2],
    );
    const { report } = fuseLora(model, lora());
    assert.equal(report.matched.length, 0);
    assert.match(report.unmatched[0].reason, /ambiguous/);
  });
  test('a LoRA whose shape does not fit the weight is reported, not fused', () => {
    const model = buildModel(
      [{ input: ['x', 'W'], output: ['y'], opType: 'MatMul', name: '/lin/MatMul' }],
      [rawFloatTensor('W', [2, 3], [1, 2, 3, 4, 5, 6])],
      [1, 2],
      [1, 3],
    );
    const { report } = fuseLora(model, lora());
    assert.deepEqual(report.matched, []);
    assert.match(report.unmatched[0].reason, /hold 6 values/);
  });
  test('bad scale is an InvalidArgumentError; a fused NaN is a NumericalError', () => {
    const model = buildModel(
      [{ input: ['x', 'W'], output: ['y'], opType: 'MatMul', name: '/lin/MatMul' }],
      [rawFloatTensor('W', [2, 2], [1, 2, 3, 4])],
      [1, 2],
      [1, 2],
    );
    assert.throws(
      () => fuseLora(model, lora(), { scale: NaN }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'scale',
    );
    const inf = loadLora(
      encodeSafetensors({
        'lin.lora_A.weight': { shape: [1, 2], data: [3e38, 0] },
        'lin.lora_B.weight': { shape: [2, 1], data: [0, 3e38] },
      }),
    );
    assert.throws(() => fuseLora(model, inf), NumericalError);
  });
});

describe('fuseLora against torch (models/recipes/lora_fixture.py)', () => {
  test('kohya file (F32, alpha per module), scale 0.8: every module matched, outputs agree with torch to 1e-5', async () => {
    const { bytes, report } = fuseLora(read('tiny.onnx'), loadLora(join(FIX, 'lora_kohya.safetensors')), {
      scale: ref.kohya.scale,
    });
    assert.deepEqual(report.unmatched, []);
    assert.deepEqual(report.matched.map((m) => `${m.initializer}:${m.layout}`).sort(), [
      'blocks.0.conv.weight:out-in',
      'blocks.0.proj_in.weight:out-in',
      'head.weight:out-in',
      'onnx::MatMul_32:in-out',
      'onnx::MatMul_33:in-out',
    ]);
    assertClose(await runTiny(bytes), ref.kohya, 1e-5);
  });
  test('report.maxAbsDelta equals the largest change between base and fused weights', () => {
    const base = read('tiny.onnx');
    const { bytes, report } = fuseLora(base, loadLora(join(FIX, 'lora_kohya.safetensors')), { scale: 0.8 });
    const before = new Map(
      listInitializers(decodeOnnxModel(base)).map(({ tensor }) => [tensor.name, readTensorAsFloat32(tensor)]),
    );
    let maxChange = 0;
    for (const { tensor } of listInitializers(decodeOnnxModel(bytes))) {
      const b = before.get(tensor.name)!;
      readTensorAsFloat32(tensor).forEach((v, i) => (maxChange = Math.max(maxChange, Math.abs(v - b[i]))));
    }
    assert.ok(Math.abs(maxChange - report.maxAbsDelta) < 1e-6, `${maxChange} vs ${report.maxAbsDelta}`);
    assert.ok(report.maxAbsDelta > 0.1);
  });
  test('peft file (F16 factors, no alpha -> alpha = r): outputs agree with torch to 1e-5', async () => {
    const { bytes, report } = fuseLora(read('tiny.onnx'), loadLora(join(FIX, 'lora_peft.safetensors')));
    assert.equal(report.matched.length, 5);
    assertClose(await runTiny(bytes), ref.peft, 1e-5);
  });
  test('fp16 initializers (used through Cast): fused in float, rounded to half; agree with torch to 1e-5', async () => {
    const { bytes, report } = fuseLora(read('tiny_fp16.onnx'), loadLora(join(FIX, 'lora_peft.safetensors')));
    assert.equal(report.matched.length, 5);
    assertClose(await runTiny(bytes), ref.peft_fp16_model, 1e-5);
  });
  test('external data (model.onnx_data): fused weights are read from the file and written inline', async () => {
    const dir = join(FIX, 'external');
    const { bytes, report } = fuseLora(read('external/model.onnx'), loadLora(join(FIX, 'lora_kohya.safetensors')), {
      scale: ref.kohya.scale,
      modelDir: dir,
    });
    assert.equal(report.inlinedExternal.length, 5);
    assertClose(await runTiny(bytes, externalDataSessionOptions(dir)), ref.kohya, 1e-5);
  });
  test('external data without modelDir, or past maxInlineBytes, is refused clearly', () => {
    const lora = loadLora(join(FIX, 'lora_kohya.safetensors'));
    assert.throws(
      () => fuseLora(read('external/model.onnx'), lora),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'modelDir',
    );
    assert.throws(
      () => fuseLora(read('external/model.onnx'), lora, { modelDir: join(FIX, 'external'), maxInlineBytes: 3400 }),
      /inline/,
    );
  });
  test('unknown modules, other components and half pairs are reported; nameMap overrides the rule', () => {
    const k = (name: string, shape: number[]): { shape: number[]; data: number[] } => ({
      shape,
      data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.01),
    });
    const lora = loadLora(
      encodeSafetensors({
        'lora_unet_head.lora_down.weight': k('', [1, 6]),
        'lora_unet_head.lora_up.weight': k('', [3, 1]),
        'lora_unet_nowhere.lora_down.weight': k('', [1, 6]),
        'lora_unet_nowhere.lora_up.weight': k('', [3, 1]),
        'lora_te_text_model_q_proj.lora_down.weight': k('', [1, 6]),
        'lora_te_text_model_q_proj.lora_up.weight': k('', [3, 1]),
        'lora_unet_orphan.lora_down.weight': k('', [1, 6]),
        other: k('', [1]),
      }),
    );
    assert.deepEqual(lora.ignoredKeys.sort(), ['lora_unet_orphan.lora_down.weight', 'other']);
    const { report } = fuseLora(read('tiny.onnx'), lora, {
      component: 'unet',
      nameMap: { lora_unet_nowhere: 'blocks.0.attn.to_q.bias' },
    });
    assert.deepEqual(
      report.matched.map((m) => m.initializer),
      ['head.weight'],
    );
    const reasons = Object.fromEntries(report.unmatched.map((u) => [u.loraKey, u.reason]));
    assert.match(reasons.lora_unet_nowhere, /blocks\.0\.attn\.to_q\.bias/);
    assert.match(reasons.lora_te_text_model_q_proj, /text_encoder/);
    const mapped = fuseLora(read('tiny.onnx'), lora, {
      nameMap: { lora_unet_nowhere: 'head.weight', lora_unet_head: 'missing.weight' },
    }).report;
    assert.deepEqual(
      mapped.matched.map((m) => `${m.loraKey}->${m.initializer}`),
      ['lora_unet_nowhere->head.weight'],
    );
    assert.match(mapped.unmatched.find((u) => u.loraKey === 'lora_unet_head')!.reason, /missing\.weight/);
  });
});
