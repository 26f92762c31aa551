import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeEnergy } from '../../src/metrics/edgeEnergy.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { rawImageToPng } from '../../src/image/tensorPng.js';

const isArg = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('edgeEnergy', () => {
  const png = (values: number[], width: number, height: number) =>
    rawImageToPng({ data: Uint8Array.from(values), width, height, channels: 3 });

  test('is 0 for a flat image and 255 for a black-and-white checkerboard (every neighbour pair differs by 255)', async () => {
    assert.equal(await edgeEnergy(await png(new Array(12).fill(77), 2, 2)), 0);
    const b = [0, 0, 0];
    const w = [255, 255, 255];
    assert.equal(await edgeEnergy(await png([...b, ...w, ...w, ...b], 2, 2)), 255);
  });

  test('is the RMS over all horizontal and vertical neighbour differences of the RGB values', async () => {
    // 2x1: one horizontal pair, differences 10, 20, 30: sqrt((100 + 400 + 900) / 3).
    assert.ok(Math.abs((await edgeEnergy(await png([0, 0, 0, 10, 20, 30], 2, 1))) - Math.sqrt(1400 / 3)) < 1e-12);
    // 1x2 (vertical pair) gives the same value: the measure has no preferred direction.
    assert.ok(Math.abs((await edgeEnergy(await png([0, 0, 0, 10, 20, 30], 1, 2))) - Math.sqrt(1400 / 3)) < 1e-12);
    // 2x2 gray with one pixel 12 brighter: 2 of the 4 pairs differ by 12 in all 3 channels: sqrt(6 * 144 / 12).
    assert.ok(
      Math.abs((await edgeEnergy(await png([12, 12, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2, 2))) - Math.sqrt(72)) < 1e-12,
    );
  });

  test('rejects a one-pixel image and bytes that are not an image', async () => {
    await assert.rejects(edgeEnergy(await png([1, 2, 3], 1, 1)), isArg('png'));
    await assert.rejects(edgeEnergy(Buffer.from('not a png')), isArg('png'));
  });
});
