import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import {
  bfloat16BitsToFloat32,
  decodeOnnxModel,
  encodeOnnxModel,
  externalDataRef,
  externalDataSessionOptions,
  float32ToBfloat16Bits,
  listInitializers,
  OnnxDataType,
  readTensorAsFloat32,
  tensorDims,
  writeTensorFromFloat32,
} from '../../src/onnx/onnxProto.js';
import { float32ToFloat16Bits } from '../../src/onnx/float16.js';
import { buildModel, rawFloatTensor } from './loraTestModels.js';

const FIX = resolve(__dirname, '../../../test/fixtures/lora');
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, f)));

describe('ONNX protobuf round trip (own schema on protobufjs)', () => {
  for (const f of ['tiny.onnx', 'tiny_fp16.onnx', 'external/model.onnx']) {
    test(`decode -> encode of torch/onnx-written ${f} gives the same bytes`, () => {
      const bytes = read(f);
      assert.deepEqual(Buffer.from(encodeOnnxModel(decodeOnnxModel(bytes))), Buffer.from(bytes));
    });
  }

  test('fields the schema does not declare survive decode -> edit -> encode', () => {
    // ModelProto field 99 (tag 0x98 0x06, varint 7) and field 98 (tag 0x92 0x06, string "keep") exist in no schema.
    const unknown = Buffer.concat([
      Buffer.from([0x98, 0x06, 0x07]),
      Buffer.from([0x92, 0x06, 0x04]),
      Buffer.from('keep'),
    ]);
    const bytes = Buffer.concat([Buffer.from(read('tiny.onnx')), unknown]);
    const model = decodeOnnxModel(bytes);
    const head = listInitializers(model).find(({ tensor }) => tensor.name === 'head.weight')!.tensor;
    const w = readTensorAsFloat32(head);
    w[0] += 1;
    writeTensorFromFloat32(head, w);
    const out = Buffer.from(encodeOnnxModel(model));
    assert.deepEqual(out.subarray(out.length - unknown.length), unknown);
    assert.equal(out.length, bytes.length);
  });

  test('an edited model loads in onnxruntime-node and the edit shows in its output', async () => {
    const model = decodeOnnxModel(read('tiny.onnx'));
    const bias = listInitializers(model).find(({ tensor }) => tensor.name === 'head.bias')!.tensor;
    const b = readTensorAsFloat32(bias);
    writeTensorFromFloat32(
      bias,
      b.map((v) => v + 10),
    );
    const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
      input: { dims: number[]; data: number[] };
      base: { logits: number[] };
    };
    const session = await ort.InferenceSession.create(encodeOnnxModel(model));
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(ref.input.data), ref.input.dims) });
    const logits = out.logits.data as Float32Array;
    ref.base.logits.forEach((v, i) =>
      assert.ok(Math.abs(logits[i] - (v + 10)) < 1e-5, `logit ${i}: ${logits[i]} vs ${v + 10}`),
    );
  });

  test('bytes that are not a ModelProto throw InvalidArgumentError naming modelBytes', () => {
    assert.throws(
      () => decodeOnnxModel(new Uint8Array([0xff, 0xff, 0xff])),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'modelBytes',
    );
    assert.throws(() => decodeOnnxModel(new Uint8Array(0)), InvalidArgumentError);
    // a valid protobuf with no graph
    assert.throws(() => decodeOnnxModel(new Uint8Array([0x08, 0x08])), /graph/);
  });
});

describe('bfloat16 conversions', () => {
  test('bfloat16 keeps the top 16 bits of a float, rounding to nearest even', () => {
    assert.equal(float32ToBfloat16Bits(1), 0x3f80);
    assert.equal(bfloat16BitsToFloat32(0x4049), 3.140625);
    assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80);
    assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
  });
});

describe('tensor data access', () => {
  test('float_data, raw_data and fp16 int32_data read to the same float32 values', () => {
    const values = [1, -2.5, 0.25, 8];
    assert.deepEqual(
      Array.from(readTensorAsFloat32({ name: 'a', dims: [2, 2], dataType: 1, floatData: values })),
      values,
    );
    assert.deepEqual(Array.from(readTensorAsFloat32(rawFloatTensor('b', [4], values))), values);
    const half = { name: 'c', dims: [4], dataType: OnnxDataType.FLOAT16, int32Data: values.map(float32ToFloat16Bits) };
    assert.deepEqual(Array.from(readTensorAsFloat32(half)), values);
  });
  test('writing keeps the storage field and the data type (fp16 rounds)', () => {
    const t = { name: 'a', dims: [2], dataType: 1, floatData: [0, 0] } as {
      name: string;
      dims: number[];
      dataType: number;
      floatData: number[];
      rawData?: Uint8Array;
    };
    writeTensorFromFloat32(t, Float32Array.from([1.5, 2]));
    assert.deepEqual(t.floatData, [1.5, 2]);
    assert.equal(t.rawData, undefined);
    const h = { name: 'h', dims: [1], dataType: OnnxDataType.FLOAT16, rawData: new Uint8Array(2) };
    writeTensorFromFloat32(h, Float32Array.from([1 + 2 ** -11]));
    assert.deepEqual(Array.from(h.rawData), [0x00, 0x3c]);
  });
  test('a wrong element count or a non-float type is refused with the tensor named', () => {
    assert.throws(() => readTensorAsFloat32({ name: 'short', dims: [3], dataType: 1, floatData: [1] }), /short/);
    assert.throws(
      () => readTensorAsFloat32({ name: 'ints', dims: [1], dataType: OnnxDataType.INT64 }),
      (e: unknown) => e instanceof InvalidArgumentError && /ints/.test(e.field),
    );
    assert.throws(
      () => writeTensorFromFloat32({ name: 'w', dims: [2], dataType: 1, floatData: [0, 0] }, new Float32Array(3)),
      InvalidArgumentError,
    );
  });
  test('external data is read from the file next to the model, and its absence is explained', () => {
    const model = decodeOnnxModel(read('external/model.onnx'));
    const conv = listInitializers(model).find(({ tensor }) => tensor.name === 'blocks.0.conv.weight')!.tensor;
    assert.equal(externalDataRef(conv)?.location, 'model.onnx_data');
    const inline = listInitializers(decodeOnnxModel(read('tiny.onnx'))).find(
      ({ tensor }) => tensor.name === 'blocks.0.conv.weight',
    )!.tensor;
    assert.deepEqual(readTensorAsFloat32(conv, { modelDir: join(FIX, 'external') }), readTensorAsFloat32(inline));
    assert.deepEqual(tensorDims(conv), [4, 4, 3, 3]);
    assert.throws(
      () => readTensorAsFloat32(conv),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'modelDir',
    );
    const empty = mkdtempSync(join(tmpdir(), 'fewstep-ext-'));
    assert.throws(() => readTensorAsFloat32(conv, { modelDir: empty }), MissingResourceError);
    const evil = { ...conv, externalData: [{ key: 'location', value: '../secret' }] };
    assert.throws(() => readTensorAsFloat32(evil, { modelDir: empty }), /relative path inside the model folder/);
  });
  test('a model with external data loads from bytes when the session is told the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fewstep-ext-'));
    copyFileSync(join(FIX, 'external/model.onnx_data'), join(dir, 'model.onnx_data'));
    writeFileSync(join(dir, 'unused.txt'), '');
    const session = await ort.InferenceSession.create(read('external/model.onnx'), externalDataSessionOptions(dir));
    assert.deepEqual([...session.outputNames], ['tokens', 'logits']);
  });
  test('a model built in memory with these helpers runs: MatMul by a 2x2 initializer', async () => {
    const bytes = buildModel(
      [{ input: ['x', 'W'], output: ['y'], opType: 'MatMul', name: '/lin/MatMul' }],
      [rawFloatTensor('W', [2, 2], [1, 2, 3, 4])],
      [1, 2],
      [1, 2],
    );
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1]), [1, 2]) });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [4, 6]); // [1 1] @ [[1 2] [3 4]]
  });
});
