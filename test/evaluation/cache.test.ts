import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { cached, cachedWithOutcome, cacheKeyHash, canonicalJson, defaultCacheDir } from '../../src/evaluation/cache.js';
import { modelFingerprint } from '../../src/evaluation/fingerprint.js';
import * as entry from '../../src/index.js';

async function tmp(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-cache-'));
}

/** A compute function that counts its calls. */
function counter<T>(value: T) {
  const f = () => {
    f.calls++;
    return value;
  };
  f.calls = 0;
  return f;
}

const quiet = { log: () => {} };

describe('measurement cache: keys', () => {
  test('canonical JSON sorts object keys at every depth and drops undefined properties', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true }, u: undefined }),
      '{"a":{"c":true,"d":[1,"x",null]},"b":1}',
    );
  });

  test('the key hash is sha256 of a versioned canonical JSON, independent of property order', () => {
    const expected = createHash('sha256').update('fewstep-cache-v2\n{"model":"m","steps":4}').digest('hex');
    assert.equal(cacheKeyHash({ steps: 4, model: 'm' }), expected);
    assert.equal(cacheKeyHash({ model: 'm', steps: 4 }), expected);
    assert.notEqual(cacheKeyHash({ model: 'm', steps: 5 }), expected);
  });

  test('keys and values that are not JSON data are rejected naming where they sit', () => {
    const rejects = (v: unknown, field: string) =>
      assert.throws(
        () => canonicalJson(v, 'key'),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      );
    rejects({ a: { b: NaN } }, 'key.a.b');
    rejects({ a: [1, Infinity] }, 'key.a[1]');
    rejects({ a: [undefined] }, 'key.a[0]');
    rejects({ t: new Float32Array(2) }, 'key.t');
    rejects({ d: new Date(0) }, 'key.d');
    rejects({ f: () => 1 }, 'key.f');
    assert.throws(
      () => cacheKeyHash('model' as unknown as object),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'key',
    );
  });
});

describe('measurement cache: cached', () => {
  test('a miss computes and writes the file; the same key again is a hit that does not compute', async () => {
    const dir = await tmp();
    const compute = counter({ ms: [1.5, 2.5], label: 'x' });
    const first = await cachedWithOutcome({ model: 'tiny', steps: 4 }, compute, { dir, ...quiet });
    assert.equal(first.outcome, 'miss');
    assert.equal(path.dirname(first.file), dir);
    const second = await cachedWithOutcome({ steps: 4, model: 'tiny' }, compute, { dir, ...quiet });
    assert.equal(second.outcome, 'hit');
    assert.deepEqual(second.value, { ms: [1.5, 2.5], label: 'x' });
    assert.equal(compute.calls, 1);
    const stored = JSON.parse(await fsp.readFile(first.file, 'utf8'));
    assert.deepEqual(stored.key, { model: 'tiny', steps: 4 });
    assert.deepEqual(stored.value, { ms: [1.5, 2.5], label: 'x' });
  });

  test('a changed key (model or any setting) is a miss and computes again', async () => {
    const dir = await tmp();
    const compute = counter(1);
    await cached({ model: 'a', steps: 4 }, compute, { dir, ...quiet });
    await cached({ model: 'b', steps: 4 }, compute, { dir, ...quiet });
    const r = await cachedWithOutcome({ model: 'a', steps: 8 }, compute, { dir, ...quiet });
    assert.equal(r.outcome, 'miss');
    assert.equal(compute.calls, 3);
    assert.equal((await fsp.readdir(dir)).length, 3);
  });

  test('force (or FEWSTEP_FORCE=1) recomputes and overwrites the stored value', async () => {
    const dir = await tmp();
    await cached({ k: 1 }, () => 'old', { dir, ...quiet });
    const forced = await cachedWithOutcome({ k: 1 }, () => 'new', { dir, force: true, ...quiet });
    assert.equal(forced.outcome, 'forced');
    assert.equal(await cached({ k: 1 }, () => 'never', { dir, ...quiet }), 'new');
    const saved = process.env.FEWSTEP_FORCE;
    process.env.FEWSTEP_FORCE = '1';
    try {
      const byEnv = await cachedWithOutcome({ k: 1 }, () => 'env', { dir, ...quiet });
      assert.equal(byEnv.outcome, 'forced');
      assert.equal(byEnv.value, 'env');
    } finally {
      if (saved === undefined) delete process.env.FEWSTEP_FORCE;
      else process.env.FEWSTEP_FORCE = saved;
    }
    assert.equal((await cachedWithOutcome({ k: 1 }, () => 'never', { dir, ...quiet })).outcome, 'hit');
  });

  test('a corrupted cache file is reported, recomputed and repaired', async () => {
    const dir = await tmp();
    const first = await cachedWithOutcome({ k: 'c' }, () => [1, 2, 3], { dir, ...quiet });
    for (const broken of [
      '{"fewstepCache":1,"hash":"',
      'null',
      JSON.stringify({ fewstepCache: 1, hash: first.hash, key: { k: 'other' }, value: 9 }),
    ]) {
      await fsp.writeFile(first.file, broken);
      const lines: string[] = [];
      const r = await cachedWithOutcome({ k: 'c' }, () => [4, 5], { dir, log: (l) => lines.push(l) });
      assert.equal(r.outcome, 'corrupt', broken);
      assert.deepEqual(r.value, [4, 5]);
      assert.equal(lines.length, 1);
      assert.ok(lines[0].includes(first.file) && /recomputing/.test(lines[0]), lines[0]);
      assert.equal(r.problem !== undefined, true);
      assert.equal(
        (await cachedWithOutcome({ k: 'c' }, () => [0], { dir, ...quiet })).outcome,
        'hit',
        'the file was repaired',
      );
    }
  });

  test('async compute functions are awaited; a throwing compute writes nothing', async () => {
    const dir = await tmp();
    assert.equal(await cached({ a: 1 }, async () => 42, { dir, ...quiet }), 42);
    await assert.rejects(
      cached(
        { a: 2 },
        async () => {
          throw new Error('measurement failed');
        },
        { dir, ...quiet },
      ),
      /measurement failed/,
    );
    assert.equal((await fsp.readdir(dir)).length, 1);
  });

  test('a value JSON cannot hold faithfully (NaN, typed arrays) is rejected instead of stored wrong', async () => {
    const dir = await tmp();
    await assert.rejects(
      cached({ a: 1 }, () => ({ psnr: NaN }), { dir, ...quiet }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'value.psnr',
    );
    await assert.rejects(
      cached({ a: 1 }, () => new Float32Array(3), { dir, ...quiet }),
      (e: unknown) => e instanceof InvalidArgumentError && /Array\.from/.test(e.message),
    );
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  test('bad options are rejected naming the field', async () => {
    await assert.rejects(
      cached({ a: 1 }, () => 1, { name: '../evil' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'name',
    );
    await assert.rejects(
      cached({ a: 1 }, 5 as unknown as () => number),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'compute',
    );
  });

  test('the name option prefixes the file name', async () => {
    const dir = await tmp();
    const r = await cachedWithOutcome({ a: 1 }, () => 1, { dir, name: 'bench-steps' });
    assert.match(path.basename(r.file), /^bench-steps-[0-9a-f]{32}\.json$/);
  });

  test('concurrent writers of one key never leave a half-written file or temporary files', async () => {
    const dir = await tmp();
    const big = (k: number) => Array.from({ length: 20_000 }, (_, i) => i * k);
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, k) =>
        cachedWithOutcome({ same: true }, () => big(k + 1), { dir, force: true, ...quiet }),
      ),
    );
    assert.ok(runs.every((r) => r.outcome === 'forced'));
    assert.deepEqual(await fsp.readdir(dir), [path.basename(runs[0].file)], 'one file, no *.tmp left');
    const stored = JSON.parse(await fsp.readFile(runs[0].file, 'utf8'));
    assert.ok(
      runs.some((r) => JSON.stringify(r.value) === JSON.stringify(stored.value)),
      'the file holds one complete value',
    );
    assert.equal((await cachedWithOutcome({ same: true }, () => [], { dir, ...quiet })).outcome, 'hit');
  });

  test('the default folder is out/cache in the project root (or $FEWSTEP_CACHE_DIR), whatever the working directory', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const saved = process.env.FEWSTEP_CACHE_DIR;
    delete process.env.FEWSTEP_CACHE_DIR;
    try {
      assert.equal(defaultCacheDir(), path.join(root, 'out', 'cache'));
      process.env.FEWSTEP_CACHE_DIR = '/tmp/elsewhere';
      assert.equal(defaultCacheDir(), '/tmp/elsewhere');
    } finally {
      if (saved === undefined) delete process.env.FEWSTEP_CACHE_DIR;
      else process.env.FEWSTEP_CACHE_DIR = saved;
    }
  });

  test('notebooks get the cache from the package entry', () => {
    assert.equal(entry.cached, cached);
    assert.equal(typeof entry.modelFingerprint, 'function');
    assert.equal(
      (entry as Record<string, unknown>).LectureHtmlExporter,
      undefined,
      'the exporter is not part of the notebook API',
    );
  });
});

describe('measurement cache: model fingerprints', () => {
  test('a folder fingerprint changes when any file changes, and not when nothing does', async () => {
    const dir = await tmp();
    await fsp.mkdir(path.join(dir, 'unet'));
    await fsp.writeFile(path.join(dir, 'model_index.json'), '{}');
    await fsp.writeFile(path.join(dir, 'unet', 'model.onnx'), 'weights-1');
    const a = await modelFingerprint(dir);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await modelFingerprint(dir), a);
    await fsp.writeFile(path.join(dir, 'unet', 'model.onnx'), 'weights-2');
    assert.notEqual(await modelFingerprint(dir), a);
  });

  test('a missing model path is an InvalidArgumentError', async () => {
    await assert.rejects(
      modelFingerprint('/nonexistent/model'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'dirOrFile',
    );
  });
});
