import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  checkArgvSize,
  defineCli,
  HelpRequested,
  MAX_ARGV_BYTES,
  parseCli,
  parseIntegerArg,
  parseNumberArg,
  reportCliError,
} from '../../src/cli/args.js';

const SPEC = defineCli({
  command: 'npm run demo --',
  summary: 'A demo command.',
  positionals: { name: 'suite', value: 'a|b', min: 0, max: 1 },
  options: {
    steps: { type: 'string', value: 'n', help: 'steps' },
    tag: { type: 'string', value: 't', multiple: true, help: 'tags' },
    quick: { type: 'boolean', help: 'be quick' },
    out: { type: 'string', value: 'file', default: 'x.json', help: 'where' },
  },
});

function fails(argv: string[], field: string, message: RegExp): void {
  assert.throws(
    () => parseCli(SPEC, argv),
    (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.equal(e.field, field);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('parseCli: one strict parser for every CLI', () => {
  test('parses values, repeatable options, defaults and positionals', () => {
    const { values, positionals } = parseCli(SPEC, ['a', '--steps', '4', '--tag', 'x', '--tag=y', '--quick']);
    assert.deepEqual({ ...values }, { steps: '4', tag: ['x', 'y'], quick: true, out: 'x.json' });
    assert.deepEqual(positionals, ['a']);
  });
  test('an unknown flag is named and the allowed ones are listed', () => {
    fails(
      ['--bogus'],
      'option',
      /"--bogus" is not allowed: npm run demo has no such option; expected \[--steps <n>\] \[--tag <t>\]\.\.\. \[--quick\] \[--out <file>\] \[--help\]/,
    );
    fails(['-x'], 'option', /"-x"/);
    fails(['--bogus=1'], 'option', /"--bogus"/);
  });
  test('missing values, option-like values, values on switches, repeats and extra positionals are refused', () => {
    fails(['--steps'], '--steps', /a value after --steps/);
    fails(['--steps', '--quick'], '--steps', /not the option --quick \(write --steps=--quick/);
    fails(['--quick=yes'], '--quick', /is a switch/);
    fails(['--steps', '1', '--steps', '2'], '--steps', /given twice/);
    fails(['a', 'b'], 'suite', /0 to 1 a\|b argument/);
    assert.equal(parseCli(SPEC, ['--steps=-3']).values.steps, '-3');
    assert.equal(parseCli(SPEC, ['--steps', '-3']).values.steps, '-3');
  });
  test('--help and -h throw HelpRequested with the usage line and one line per option', () => {
    for (const flag of ['--help', '-h']) {
      assert.throws(
        () => parseCli(SPEC, ['--bogus', flag]),
        (e: unknown) => {
          assert.ok(e instanceof HelpRequested);
          assert.match(e.text, /^A demo command\.\n\nusage: npm run demo -- \[a\|b\] \[--steps <n>\]/);
          assert.match(e.text, /--out <file>\s+where \(default "x\.json"\)/);
          assert.match(e.text, /--tag <t>\s+tags \(repeatable\)/);
          return true;
        },
      );
    }
  });
  test('integers and numbers are strict decimals; the message gives the real range', () => {
    assert.equal(parseIntegerArg('--n', '0016', 1), 16);
    for (const bad of ['0x10', '1e3', '', ' 4', '4.0', '-1', '+4', '9007199254740992']) {
      assert.throws(
        () => parseIntegerArg('--n', bad, 0),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          /expected a decimal integer in \[0, 2\^53 - 1 = 9007199254740991\]/.test(e.message),
        bad,
      );
    }
    assert.throws(() => parseIntegerArg('--steps', '51', 1, 50, 'the LCM grid'), /\[1, 50\] \(the LCM grid\)/);
    assert.equal(parseNumberArg('--g', '7.5'), 7.5);
    assert.equal(parseNumberArg('--g', '-.5e1'), -5);
    for (const bad of ['0x2', 'Infinity', '1,5', '', '.'])
      assert.throws(() => parseNumberArg('--g', bad), InvalidArgumentError, bad);
  });
  test('the command line is limited below the size that crashes ONNX Runtime 1.29', () => {
    checkArgvSize(['node', 'x', 'a'.repeat(MAX_ARGV_BYTES - 20)]);
    assert.throws(
      () => checkArgvSize(['node', 'x', 'a'.repeat(MAX_ARGV_BYTES)], 'use a file'),
      /command line = "\d+ bytes" is not allowed: at most 16384 bytes.*; use a file/,
    );
  });
  test('reportCliError: one line for every error (the stack only with FEWSTEP_DEBUG=1), exit 2 for bad input and 1 otherwise', () => {
    const lines: string[] = [];
    const io = { log: (s: string) => lines.push(`out ${s}`), error: (s: string) => lines.push(`err ${s}`) };
    const saved = process.env.FEWSTEP_DEBUG;
    delete process.env.FEWSTEP_DEBUG;
    try {
      assert.equal(reportCliError('demo', new InvalidArgumentError('--n', 'x', 'a number'), io), 2);
      assert.equal(reportCliError('demo', new TypeError('boom'), io), 1);
      assert.equal(reportCliError('demo', new HelpRequested('help text'), io), 0);
      assert.deepEqual(lines, [
        'err demo: --n = "x" is not allowed: a number',
        'err demo: TypeError: boom (FEWSTEP_DEBUG=1 shows the stack)',
        'out help text',
      ]);
      process.env.FEWSTEP_DEBUG = '1';
      lines.length = 0;
      reportCliError('demo', new TypeError('boom'), io);
      assert.match(lines[0], /^err demo: TypeError: boom\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.FEWSTEP_DEBUG;
      else process.env.FEWSTEP_DEBUG = saved;
    }
  });
});

const DIST = path.resolve(__dirname, '..', '..', 'src', 'cli');
/** Every CLI, as `node dist/cli/<file>.js`, with the name its messages start with. */
const CLIS: Array<[string, string]> = [
  ['generate', 'generate'],
  ['fetchModel', 'fetch-model'],
  ['setupCuda', 'setup:cuda'],
  ['doctor', 'doctor'],
  ['bench', 'bench'],
  ['benchGpu', 'bench:gpu'],
  ['evalModels', 'eval:models'],
  ['lecture', 'lecture'],
  ['kernel', 'kernel'],
  ['exportScenes', 'exportScenes'],
  ['benchNotebooks', 'benchNotebooks'],
  ['benchPipeline', 'benchPipeline'],
];

describe('every compiled CLI rejects unknown flags and answers --help (issue 11, item 8)', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-args-'));
  for (const [file, name] of CLIS) {
    test(`${name}: --bogus exits 2 with one line naming it and the allowed flags, doing nothing; --help exits 0`, () => {
      const script = path.join(DIST, `${file}.js`);
      const bad = spawnSync(process.execPath, [script, '--bogus'], { encoding: 'utf8', cwd, timeout: 60_000 });
      assert.equal(bad.status, 2, `${bad.stdout}\n${bad.stderr}`);
      assert.match(bad.stderr, new RegExp(`^${name}: option = "--bogus" is not allowed: .*expected .*\\[--help\\]`));
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.equal(bad.stdout, '', 'nothing ran');
      assert.deepEqual(fs.readdirSync(cwd), [], 'nothing written');
      const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', cwd, timeout: 60_000 });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /usage: /);
      assert.match(help.stdout, /-h, --help/);
      assert.equal(help.stderr, '');
    });
  }
  test('bad values exit 2 with one clean line (eval:models, bench, lecture, exportScenes)', () => {
    const cases: Array<[string, string[], RegExp]> = [
      [
        'evalModels',
        ['--count', '0x10'],
        /^eval:models: --count = "0x10" is not allowed: expected a decimal integer in \[10, 100000\]/,
      ],
      ['bench', ['pareto', '--repeats', '1e2'], /^bench: --repeats = "1e2" is not allowed/],
      ['lecture', ['--timeout', '0x10'], /^lecture: --timeout = "0x10" is not allowed: expected a decimal number/],
      ['exportScenes', ['--count', '3', '--out', 'x.bin', '--size', '0x20'], /^exportScenes: --size = "0x20"/],
      [
        'setupCuda',
        ['extra'],
        /^setup:cuda: argument = "extra" is not allowed: npm run setup:cuda takes no positional arguments/,
      ],
    ];
    for (const [file, args, message] of cases) {
      const r = spawnSync(process.execPath, [path.join(DIST, `${file}.js`), ...args], {
        encoding: 'utf8',
        cwd,
        timeout: 60_000,
      });
      assert.equal(r.status, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
