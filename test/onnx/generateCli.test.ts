import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipeline } from '../../src/onnx/pipeline.js';
import { modelFolderFor, outputPaths, writeAllOrNone } from '../../src/cli/generate.js';
import { FewstepError, InvalidArgumentError } from '../../src/core/errors.js';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures');
const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'generate.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-cli-'));

function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    env: options.env ?? process.env,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** One clean line on stderr: no stack frames. */
function assertOneCleanLine(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
}

describe('npm run generate (dist/cli/generate.js)', () => {
  for (const variant of ['tiny-sd', 'tiny-lcm', 'tiny-turbo']) {
    test(`${variant}: writes the same PNG bytes as the API for the same seed, and prints provider and timings`, async () => {
      const out = path.join(tmp, `${variant}.png`);
      const r = cli([
        '--prompt',
        'a photo of a cat',
        '--steps',
        '2',
        '--model',
        path.join(FIXTURES, variant),
        '--seed',
        '42',
        '--guidance',
        '3',
        '--out',
        out,
        '--device',
        'cpu',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /provider cpu/);
      assert.match(r.stdout, /timings:/);
      assert.match(r.stdout, /unet .* over 2 steps/);
      const pipe = await loadPipeline(path.join(FIXTURES, variant), { device: 'cpu', log: () => {} });
      const api = await pipe.generate({ prompt: 'a photo of a cat', steps: 2, seed: 42, guidance: 3 });
      await pipe.release();
      assert.ok(fs.readFileSync(out).equals(api.images[0]));
      const other = path.join(tmp, `${variant}-43.png`);
      assert.equal(
        cli([
          '--prompt',
          'a photo of a cat',
          '--steps',
          '2',
          '--model',
          path.join(FIXTURES, variant),
          '--seed',
          '43',
          '--guidance',
          '3',
          '--out',
          other,
          '--device',
          'cpu',
        ]).code,
        0,
      );
      assert.ok(!fs.readFileSync(out).equals(fs.readFileSync(other)));
    });
  }

  test('--batch n writes <out>-<i>.png with seeds seed..seed+n-1; the default model is the shipped scenes LCM', () => {
    const out = path.join(tmp, 'batch.png');
    const r = cli([
      '--prompt',
      'a dog',
      '--steps',
      '1',
      '--seed',
      '7',
      '--batch',
      '2',
      '--out',
      out,
      '--device',
      'cpu',
    ]);
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
    assert.throws(
      () => modelFolderFor('sd-turbo'),
      (e: unknown) => e instanceof Error && /npm run fetch-model/.test(e.message),
    );
  });
});

describe('npm run generate: reliability and hygiene (issue 11, items 1 and 8)', () => {
  const lcm = path.join(FIXTURES, 'tiny-lcm');
  const sd = path.join(FIXTURES, 'tiny-sd');

  test('a 5,000-word prompt on the command line (32 KB) is refused with exit 2 and a pointer to --prompt-file, not a segfault', () => {
    const prompt = new Array(8000).fill('cat').join(' ');
    const r = cli([
      '--prompt',
      prompt,
      '--model',
      lcm,
      '--steps',
      '1',
      '--device',
      'cpu',
      '--out',
      path.join(tmp, 'long.png'),
    ]);
    assert.equal(r.signal, null);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /command line .* at most 16384 bytes: ONNX Runtime 1\.29 crashes/);
    assert.match(r.stderr, /--prompt-file/);
    assertOneCleanLine(r.stderr);
    assert.ok(!fs.existsSync(path.join(tmp, 'long.png')));
  });

  test('the same prompt through --prompt-file generates, and says the text encoder keeps only its window', () => {
    const file = path.join(tmp, 'long-prompt.txt');
    fs.writeFileSync(file, new Array(8000).fill('cat').join(' ') + '\n');
    const out = path.join(tmp, 'long-file.png');
    const r = cli(['--prompt-file', file, '--model', lcm, '--steps', '1', '--device', 'cpu', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /prompt truncated to \d+ tokens, \d+ tokens dropped/);
    assert.ok(fs.existsSync(out));
    const both = cli(['--prompt', 'a', '--prompt-file', file, '--model', lcm]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --prompt or --prompt-file/);
  });

  test('a bad output path fails before the model loads, in one line naming --out, and leaves no temporary file', () => {
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, 'x');
    const cases: Array<[string, RegExp]> = [
      [path.join(blocker, 'x.png'), /--out = .* is not allowed: a path inside a folder, but .*a-file is a file/],
      ['', /--out = "" is not allowed: a file name/],
      [path.join(tmp, 'image.gif'), /a file name ending in \.png, \.jpg, \.jpeg, \.webp/],
      [tmp, /a file name ending in|not an existing folder/],
    ];
    for (const [out, message] of cases) {
      const before = fs.readdirSync(tmp).length;
      const r = cli(['--model', lcm, '--steps', '1', '--device', 'cpu', '--out', out], { cwd: tmp });
      assert.equal(r.code, 2, `${out}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assertOneCleanLine(r.stderr);
      assert.doesNotMatch(r.stdout, /onnx:/, 'the model was not loaded');
      assert.equal(fs.readdirSync(tmp).length, before, 'nothing new in the folder');
      assert.ok(!fs.readdirSync(tmp).some((f) => f.endsWith('.tmp')));
    }
  });

  test('--out is encoded by its extension: .jpg and .jpeg are JPEG, .webp is WebP, .png is PNG', () => {
    const magic: Array<[string, (b: Buffer) => boolean]> = [
      ['.png', (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
      ['.jpg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
      ['.JPEG', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
      [
        '.webp',
        (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
      ],
    ];
    for (const [ext, isFormat] of magic) {
      const out = path.join(tmp, `encoded${ext}`);
      const r = cli(['--model', lcm, '--steps', '1', '--device', 'cpu', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(isFormat(fs.readFileSync(out)), `${ext} has the right magic bytes`);
    }
  });

  test('numbers are strict decimals, and the limits reported are the real ones (LCM steps, seeds, seed + i in a batch)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--steps', '0x10'], /--steps = "0x10" is not allowed: expected a decimal integer/],
      [['--steps', '1e1'], /--steps = "1e1"/],
      [['--steps', ' 4'], /--steps = " 4"/],
      [
        ['--seed', '9007199254740992'],
        /--seed = "9007199254740992" is not allowed: expected a decimal integer in \[0, 2\^53 - 1 = 9007199254740991\]/,
      ],
      [
        ['--seed', '9007199254740991', '--batch', '2'],
        /--seed .* \[0, 9007199254740990\] \(with --batch 2, image i gets seed \+ i/,
      ],
      [['--guidance', '0x2'], /--guidance = "0x2" is not allowed: expected a decimal number/],
      [['--batch', '65'], /--batch = "65" is not allowed: expected a decimal integer in \[1, 64\]/],
      [
        ['--steps', '1001'],
        /steps = 1001 is not allowed: expected an integer in \[1, 50\] \(LCMScheduler: .*original_inference_steps = 50/,
      ],
      [['--steps', '51'], /expected an integer in \[1, 50\]/],
    ];
    for (const [args, message] of cases) {
      const r = cli([...args, '--model', lcm, '--device', 'cpu', '--out', path.join(tmp, 'never2.png')]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assertOneCleanLine(r.stderr);
    }
    const sdSteps = cli(['--steps', '1001', '--model', sd, '--device', 'cpu', '--out', path.join(tmp, 'never2.png')]);
    assert.match(sdSteps.stderr, /expected an integer in \[1, 1000\] \(DDIMScheduler: num_train_timesteps = 1000\)/);
    assert.ok(!fs.existsSync(path.join(tmp, 'never2.png')));
  });

  test('--negative warns when it cannot act (LCM, or guidance <= 1), and not when it is used', () => {
    const lcmRun = cli([
      '--negative',
      'blurry',
      '--model',
      lcm,
      '--steps',
      '1',
      '--device',
      'cpu',
      '--out',
      path.join(tmp, 'neg-lcm.png'),
    ]);
    assert.equal(lcmRun.code, 0, lcmRun.stderr);
    assert.match(lcmRun.stderr, /warning: --negative is ignored: LCM models have no unconditional branch/);
    const low = cli([
      '--negative',
      'blurry',
      '--guidance',
      '1',
      '--model',
      sd,
      '--steps',
      '1',
      '--device',
      'cpu',
      '--out',
      path.join(tmp, 'neg-sd1.png'),
    ]);
    assert.equal(low.code, 0, low.stderr);
    assert.match(low.stderr, /warning: --negative is ignored: guidance 1 <= 1 turns classifier-free guidance off/);
    const used = cli([
      '--negative',
      'blurry',
      '--guidance',
      '3',
      '--model',
      sd,
      '--steps',
      '1',
      '--device',
      'cpu',
      '--out',
      path.join(tmp, 'neg-sd3.png'),
    ]);
    assert.equal(used.code, 0, used.stderr);
    assert.doesNotMatch(used.stderr, /warning/);
  });

  test('a batch is written all or nothing: when one image cannot be written, none is, and the error says so', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'batch-'));
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'x');
    const files = [path.join(dir, 'ok-0.png'), path.join(blocker, 'sub', 'x-1.png')];
    assert.throws(
      () => writeAllOrNone(files, [Buffer.from('a'), Buffer.from('b')]),
      (e: unknown) =>
        e instanceof FewstepError && /could not write .*x-1\.png: .*; no image was written/.test(e.message),
    );
    assert.deepEqual(fs.readdirSync(dir), ['blocker'], 'neither the first image nor a temporary file is left');
  });

  test('--help prints the options and exits 0; FEWSTEP_DEBUG=1 adds the stack to an error', () => {
    const help = cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: npm run generate -- .*--prompt-file <file>/);
    assert.match(help.stdout, /--out <file> +output image: \.png, \.jpg, \.jpeg, \.webp/);
    const debug = cli(['--steps', 'x'], { env: { ...process.env, FEWSTEP_DEBUG: '1' } });
    assert.equal(debug.code, 2);
    assert.match(debug.stderr, /^\s+at /m);
  });
});

describe('TextToImagePipeline seeds and steps (issue 11, item 8)', () => {
  test("a batch whose last seed (seed + i) would pass 2^53 - 1 is refused on seed, saying why; steps report the scheduler's own limit", async () => {
    const pipe = await loadPipeline(path.join(FIXTURES, 'tiny-lcm'), { device: 'cpu', log: () => {} });
    try {
      await assert.rejects(
        pipe.generate({ seed: Number.MAX_SAFE_INTEGER, batchSize: 2, steps: 1 }),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.field === 'seed' &&
          /\[0, 9007199254740990\]; image i gets seed \+ i, and seed \+ 1 must stay <= 2\^53 - 1/.test(e.message),
      );
      await assert.rejects(
        pipe.generate({ seed: 2 ** 53, steps: 1 }),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'seed' && /9007199254740991/.test(e.message),
      );
      await assert.rejects(
        pipe.generate({ seed: 1, steps: 1001 }),
        (e: unknown) =>
          e instanceof InvalidArgumentError && e.field === 'steps' && /\[1, 50\] \(LCMScheduler/.test(e.message),
      );
      const ok = await pipe.generate({ seed: Number.MAX_SAFE_INTEGER - 1, batchSize: 2, steps: 1 });
      assert.deepEqual(ok.seeds, [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER]);
    } finally {
      await pipe.release();
    }
  });
});
