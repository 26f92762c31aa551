import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelFileError } from '../../src/core/errors.js';
import { loadPipeline } from '../../src/onnx/pipeline.js';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures');
const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'generate.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-malformed-'));

/** A copy of a fixture model with one file replaced. */
function brokenCopy(name: string, file: string, content: string | Buffer): string {
  const dir = path.join(tmp, `${name}-${path.basename(path.dirname(file))}-${Math.random().toString(36).slice(2, 8)}`);
  fs.cpSync(path.join(FIXTURES, 'tiny-lcm'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), content);
  return dir;
}

const onnxBytes = fs.readFileSync(path.join(FIXTURES, 'tiny-lcm', 'unet', 'model.onnx'));
const CASES: Array<{ name: string; file: string; content: string | Buffer; message: RegExp }> = [
  {
    name: 'scheduler_config.json = null',
    file: 'scheduler/scheduler_config.json',
    content: 'null',
    message: /scheduler_config\.json holds null; expected a JSON object/,
  },
  {
    name: 'model_index.json = [1,2,3]',
    file: 'model_index.json',
    content: '[1,2,3]',
    message: /model_index\.json holds an array; expected a JSON object/,
  },
  {
    name: 'unet/config.json = 7',
    file: 'unet/config.json',
    content: '7',
    message: /unet[/\\]config\.json holds a number; expected a JSON object/,
  },
  {
    name: 'tokenizer/tokenizer_config.json = "x"',
    file: 'tokenizer/tokenizer_config.json',
    content: '"x"',
    message: /tokenizer_config\.json holds a string; expected a JSON object/,
  },
  {
    name: 'a truncated unet/model.onnx',
    file: 'unet/model.onnx',
    content: onnxBytes.subarray(0, 3000),
    message:
      /unet: .*unet[/\\]model\.onnx \(3000 bytes\) is not a loadable ONNX model: Protobuf parsing failed.*truncated, corrupt or not ONNX/,
  },
  {
    name: 'an empty vae_decoder/model.onnx',
    file: 'vae_decoder/model.onnx',
    content: '',
    message: /vae_decoder[/\\]model\.onnx \(0 bytes\) is not a loadable ONNX model: ModelProto does not have a graph/,
  },
];

describe('malformed model folders name the file and what is wrong (issue 11, item 7)', () => {
  for (const c of CASES) {
    test(`${c.name}: loadPipeline throws ModelFileError naming the file; generate prints one line and exits 2`, async () => {
      const dir = brokenCopy('m', c.file, c.content);
      await assert.rejects(loadPipeline(dir, { device: 'cpu', log: () => {} }), (e: unknown) => {
        assert.ok(e instanceof ModelFileError, `${(e as Error).name}: ${(e as Error).message}`);
        assert.equal(path.resolve(e.path), path.resolve(dir, c.file));
        assert.match(e.message, c.message);
        return true;
      });
      const r = spawnSync(
        process.execPath,
        [CLI, '--model', dir, '--steps', '1', '--device', 'cpu', '--out', path.join(tmp, 'never.png')],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!fs.existsSync(path.join(tmp, 'never.png')));
    });
  }
});
