import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { modelDefaults } from '../../src/onnx/modelDefaults.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

describe('modelDefaults', () => {
  test("falls back to the family's usual settings (SD 25 steps / 7.5, LCM 4 / 8.5, Turbo 1 / 0)", () => {
    assert.deepEqual(modelDefaults({}, 'sd'), { steps: 25, guidance: 7.5 });
    assert.deepEqual(modelDefaults({}, 'lcm'), { steps: 4, guidance: 8.5 });
    assert.deepEqual(modelDefaults({}, 'turbo'), { steps: 1, guidance: 0 });
  });
  test('reads _fewstep_defaults, field by field', () => {
    assert.deepEqual(modelDefaults({ _fewstep_defaults: { steps: 4, guidance: 3 } }, 'lcm'), { steps: 4, guidance: 3 });
    assert.deepEqual(modelDefaults({ _fewstep_defaults: { guidance: 0 } }, 'sd'), { steps: 25, guidance: 0 });
  });
  test('a malformed _fewstep_defaults throws naming the field', () => {
    const field = (f: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === f;
    assert.throws(() => modelDefaults({ _fewstep_defaults: 3 }, 'sd'), field('model_index.json _fewstep_defaults'));
    assert.throws(
      () => modelDefaults({ _fewstep_defaults: { steps: 0 } }, 'sd'),
      field('model_index.json _fewstep_defaults.steps'),
    );
    assert.throws(
      () => modelDefaults({ _fewstep_defaults: { guidance: '3' } }, 'sd'),
      field('model_index.json _fewstep_defaults.guidance'),
    );
  });
});
