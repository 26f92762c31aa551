import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import {
  detectModelFamily,
  fetchCommandFor,
  findKnownModel,
  KNOWN_MODELS,
  resolveModel,
} from '../../src/onnx/registry.js';

function modelsDir(): string {
  return mkdtempSync(join(tmpdir(), 'fewstep-models-'));
}
function makeModel(dir: string, files: Record<string, unknown>): void {
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), typeof content === 'string' ? content : JSON.stringify(content));
  }
}

describe('known-model registry', () => {
  test('has the LCM, Turbo and SD baselines with their family defaults', () => {
    const byName = Object.fromEntries(KNOWN_MODELS.map((m) => [m.name, m]));
    assert.deepEqual(Object.keys(byName).sort(), ['lcm-dreamshaper-v7', 'sd-turbo', 'sd15', 'sd21-base']);
    assert.equal(byName['lcm-dreamshaper-v7'].family, 'lcm');
    assert.equal(byName['sd-turbo'].defaults.steps, 1);
    assert.equal(byName['sd-turbo'].defaults.guidanceScale, 0);
    for (const m of KNOWN_MODELS) {
      assert.match(m.repo, /^[\w.-]+\/[\w.-]+$/);
      assert.equal(m.verified, false);
      assert.ok(m.expectedFiles.includes('unet/model.onnx'));
    }
  });
  test('finds entries by name or repo id', () => {
    assert.equal(findKnownModel('sd-turbo')?.repo, 'onnxruntime/sd-turbo');
    assert.equal(findKnownModel('onnxruntime/SD-Turbo')?.name, 'sd-turbo');
    assert.equal(findKnownModel('nope'), undefined);
    assert.equal(
      fetchCommandFor(findKnownModel('sd15')!),
      'npm run fetch-model -- runwayml/stable-diffusion-v1-5 --revision onnx --name sd15',
    );
  });
});

describe('resolveModel', () => {
  test('a downloaded registry model resolves to models/<name>', () => {
    const dir = modelsDir();
    makeModel(join(dir, 'sd-turbo'), { 'model_index.json': {} });
    assert.equal(resolveModel('sd-turbo', { modelsDir: dir }), join(dir, 'sd-turbo'));
  });
  test('a registry model not downloaded is a MissingResourceError with the fetch command', () => {
    assert.throws(
      () => resolveModel('lcm-dreamshaper-v7', { modelsDir: modelsDir() }),
      (e: unknown) =>
        e instanceof MissingResourceError &&
        e.message.includes('npm run fetch-model -- TheyCallMeHex/LCM-Dreamshaper-V7-ONNX --name lcm-dreamshaper-v7'),
    );
  });
  test('folder names under models/ and models/fixtures/, and explicit paths, resolve', () => {
    const dir = modelsDir();
    makeModel(join(dir, 'mine'), { 'unet/model.onnx': 'x' });
    makeModel(join(dir, 'fixtures', 'tiny'), { 'model_index.json': {} });
    assert.equal(resolveModel('mine', { modelsDir: dir }), join(dir, 'mine'));
    assert.equal(resolveModel('tiny', { modelsDir: dir }), join(dir, 'fixtures', 'tiny'));
    assert.equal(resolveModel(join(dir, 'mine')), join(dir, 'mine'));
  });
  test('unknown names, non-model folders and empty input are refused', () => {
    const dir = modelsDir();
    assert.throws(() => resolveModel('nothing', { modelsDir: dir }), /known models: lcm-dreamshaper-v7/);
    assert.throws(() => resolveModel(dir), /not a model folder/);
    assert.throws(() => resolveModel(''), InvalidArgumentError);
  });
});

describe('detectModelFamily', () => {
  test('from fetch.json or the folder name via the registry', () => {
    const dir = modelsDir();
    makeModel(join(dir, 'x'), { 'fetch.json': { repo: 'TheyCallMeHex/LCM-Dreamshaper-V7-ONNX' } });
    assert.equal(detectModelFamily(join(dir, 'x')), 'lcm');
    makeModel(join(dir, 'sd-turbo'), { 'model_index.json': {} });
    assert.equal(detectModelFamily(join(dir, 'sd-turbo')), 'turbo');
  });
  test('from the files: LCM pipeline class or time_cond_proj_dim, else SD; nothing -> undefined', () => {
    const dir = modelsDir();
    makeModel(join(dir, 'a'), { 'model_index.json': { _class_name: 'LatentConsistencyModelPipeline' } });
    makeModel(join(dir, 'b'), {
      'model_index.json': { _class_name: 'StableDiffusionPipeline' },
      'unet/config.json': { time_cond_proj_dim: 256 },
    });
    makeModel(join(dir, 'c'), { 'model_index.json': { _class_name: 'ORTStableDiffusionPipeline' } });
    makeModel(join(dir, 'my-turbo'), { 'model_index.json': { _class_name: 'StableDiffusionPipeline' } });
    assert.deepEqual(
      ['a', 'b', 'c', 'my-turbo'].map((n) => detectModelFamily(join(dir, n))),
      ['lcm', 'lcm', 'sd', 'turbo'],
    );
    assert.equal(detectModelFamily(join(dir, 'none')), undefined);
  });
});
