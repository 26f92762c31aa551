import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import { encodeSafetensors, parseSafetensors, readSafetensorsFile } from '../../src/onnx/safetensors.js';

const FIX = resolve(__dirname, '../../../test/fixtures/lora');
const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
  targets: Record<string, { A: number[]; A_shape: number[]; B: number[]; B_shape: number[] }>;
  kohya: { alphas: Record<string, number> };
};

function fileWithHeader(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, data]));
}

describe('safetensors reader', () => {
  test('reads the F32 file written by the Python recipe: shapes, values, alpha scalars, metadata', () => {
    const file = readSafetensorsFile(join(FIX, 'lora_kohya.safetensors'));
    assert.equal(file.metadata.ss_network_dim, '2');
    for (const [name, t] of Object.entries(ref.targets)) {
      const key = 'lora_unet_' + name.replace(/\./g, '_');
      const down = file.tensors.get(key + '.lora_down.weight')!;
      assert.equal(down.dtype, 'F32');
      assert.deepEqual(down.shape, t.A_shape);
      assert.deepEqual(Array.from(down.data), t.A.map(Math.fround));
      assert.deepEqual(Array.from(file.tensors.get(key + '.lora_up.weight')!.data), t.B.map(Math.fround));
      const alpha = file.tensors.get(key + '.alpha')!;
      assert.deepEqual(alpha.shape, []);
      assert.equal(alpha.data[0], ref.kohya.alphas[name]);
    }
  });
  test('reads F16 tensors to within half precision of the float originals', () => {
    const file = readSafetensorsFile(join(FIX, 'lora_peft.safetensors'));
    const t = ref.targets['blocks.0.attn.to_q'];
    const a = file.tensors.get('unet.blocks.0.attn.to_q.lora_A.weight')!;
    assert.equal(a.dtype, 'F16');
    t.A.forEach((v, i) =>
      assert.ok(Math.abs(a.data[i] - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${a.data[i]} vs ${v}`),
    );
  });
  test('encodeSafetensors output parses back to the same tensors', () => {
    const bytes = encodeSafetensors(
      { w: { shape: [2, 1], data: [1.5, -3] }, h: { shape: [1], data: [0.5], dtype: 'F16' } },
      { format: 'pt' },
    );
    const parsed = parseSafetensors(bytes);
    assert.deepEqual(Array.from(parsed.tensors.get('w')!.data), [1.5, -3]);
    assert.equal(parsed.tensors.get('h')!.dtype, 'F16');
    assert.equal(parsed.metadata.format, 'pt');
    assert.equal(new DataView(bytes.buffer).getBigUint64(0, true) % 8n, 0n);
  });
  test('a missing file is a MissingResourceError', () => {
    assert.throws(() => readSafetensorsFile('/nonexistent/lora.safetensors'), MissingResourceError);
  });
  const bad: [string, Uint8Array, RegExp][] = [
    ['fewer than 8 bytes', new Uint8Array(4), /headerLength|8 bytes/],
    [
      'a header length past the end of the file',
      (() => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(1000n);
        return new Uint8Array(b);
      })(),
      /headerLength/,
    ],
    [
      'a header that is not JSON',
      (() => {
        const b = Buffer.alloc(12);
        b.writeBigUInt64LE(4n);
        b.write('{{{{', 8);
        return new Uint8Array(b);
      })(),
      /header/,
    ],
    [
      'an unsupported dtype',
      fileWithHeader({ a: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /dtype/,
    ],
    [
      'offsets past the data',
      fileWithHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
      /data_offsets/,
    ],
    [
      'a byte range that does not match the shape',
      fileWithHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /12 bytes/,
    ],
    ['a negative dimension', fileWithHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /shape/],
  ];
  for (const [what, bytes, message] of bad) {
    test(`a file with ${what} is refused with InvalidArgumentError`, () => {
      assert.throws(
        () => parseSafetensors(bytes),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      );
    });
  }
});
