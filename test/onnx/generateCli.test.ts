import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipeline } from '../../src/onnx/pipeline.js';
import { modelFolderFor, outputPaths } from '../../src/cli/generate.js';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures');
const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'generate.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-cli-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run generate (dist/cli/generate.js)', () => {
  for (const variant of ['tiny-sd', 'tiny-lcm', 'tiny-turbo']) {
    test(`${variant}: writes the same PNG bytes as the API for the same seed, and prints provider and timings`, async () => {
      const out = path.join(tmp, `${variant}.png`);
      const r = cli(['--prompt', 'a photo of a cat', '--steps', '2', '--model', path.join(FIXTURES, variant), '--seed', '42', '--guidance', '3', '--out', out, '--device', 'cpu']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /provider cpu/);
      assert.match(r.stdout, /timings:/);
      assert.match(r.stdout, /unet .* over 2 steps/);
      const pipe = await loadPipeline(path.join(FIXTURES, variant), { device: 'cpu', log: () => {} });
      const api = await pipe.generate({ prompt: 'a photo of a cat', steps: 2, seed: 42, guidance: 3 });
      await pipe.release();
      assert.ok(fs.readFileSync(out).equals(api.images[0]));
      const other = path.join(tmp, `${variant}-43.png`);
      assert.equal(cli(['--prompt', 'a photo of a cat', '--steps', '2', '--model', path.join(FIXTURES, variant), '--seed', '43', '--guidance', '3', '--out', other, '--device', 'cpu']).code, 0);
      assert.ok(!fs.readFileSync(out).equals(fs.readFileSync(other)));
    });
  }

  test('--batch n writes <out>-<i>.png with seeds seed..seed+n-1; the default model is the shipped scenes LCM', () => {
    const out = path.join(tmp, 'batch.png');
    const r = cli(['--prompt', 'a dog', '--steps', '1', '--seed', '7', '--batch', '2', '--out', out, '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /scenes-lcm \(lcm\)/);
    assert.match(r.stdout, /batch-0\.png \(seed 7\)/);
    assert.match(r.stdout, /batch-1\.png \(seed 8\)/);
    assert.deepEqual(outputPaths(out, 2), [path.join(tmp, 'batch-0.png'), path.join(tmp, 'batch-1.png')]);
    assert.ok(fs.existsSync(path.join(tmp, 'batch-1.png')));
  });

  test('bad arguments exit with code 2 and a message naming the field; nothing is written', () => {
    const out = path.join(tmp, 'never.png');
    const cases: Array<[string[], RegExp]> = [
      [['--width', '12'], /width = 12/],
      [['--steps', 'four'], /--steps = "four"/],
      [['--device', 'gpu'], /--device = "gpu"/],
      [['--model', path.join(tmp, 'missing-model')], /npm run fetch-model/],
      [['--bogus'], /bogus/],
    ];
    for (const [args, message] of cases) {
      const r = cli([...args, '--out', out]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.ok(!fs.existsSync(out));
  });
});

describe('npm run generate --model <name>', () => {
  test('a bare name resolves through the registry: fixtures by folder name, known hub exports with the fetch command when absent', () => {
    assert.equal(modelFolderFor('tiny-sd'), path.join(FIXTURES, 'tiny-sd'));
    assert.equal(modelFolderFor('./models/fixtures/tiny-sd'), './models/fixtures/tiny-sd');
    assert.throws(() => modelFolderFor('sd-turbo'), (e: unknown) => e instanceof Error && /npm run fetch-model/.test(e.message));
  });
});
