import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { exportScenes } from '../../src/cli/exportScenes.js';
import { sceneDataset } from '../../src/scenes/scene.js';

describe('exportScenes', () => {
  test('writes scene i of sceneDataset(count, seed, size) as uint8 CHW, with its caption and attributes', () => {
    const { pixels, sidecar } = exportScenes(3, 17, 16);
    const scenes = sceneDataset(3, 17, 16);
    assert.equal(pixels.length, 3 * 3 * 16 * 16);
    for (let i = 0; i < 3; i++) {
      assert.equal(sidecar.captions[i], scenes[i].caption);
      assert.deepEqual(sidecar.attributes[i], scenes[i].spec);
      for (const k of [0, 100, 3 * 16 * 16 - 1])
        assert.equal(pixels[i * 768 + k], Math.round(255 * scenes[i].pixels[k]));
    }
    assert.deepEqual(
      { count: sidecar.count, seed: sidecar.seed, size: sidecar.size },
      { count: 3, seed: 17, size: 16 },
    );
  });
  test('is the same set whether it is rendered in one go or past a chunk boundary', () => {
    const a = exportScenes(1002, 5, 16);
    const b = exportScenes(3, 5 + 999, 16);
    assert.deepEqual(a.pixels.subarray(999 * 768), b.pixels);
  });
  test('rejects a bad count, seed or size', () => {
    assert.throws(() => exportScenes(0, 1, 32), InvalidArgumentError);
    assert.throws(() => exportScenes(2, -1, 32), InvalidArgumentError);
    assert.throws(() => exportScenes(2, 1, 8), InvalidArgumentError);
  });
});
