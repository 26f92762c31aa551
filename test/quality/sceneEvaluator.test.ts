import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  attributeAccuracy,
  decodeAttributes,
  promptAdherence,
  promptAttributes,
  type EvaluatorHead,
  type SceneAttributes,
} from '../../src/quality/sceneEvaluator.js';

const HEADS: EvaluatorHead[] = [
  { name: 'timeOfDay', values: ['sunrise', 'noon', 'sunset', 'night'], offset: 0 },
  { name: 'terrain', values: ['mountains', 'hills', 'ocean', 'desert'], offset: 4 },
  { name: 'palette', values: ['warm', 'cool', 'purple', 'golden'], offset: 8 },
  { name: 'style', values: ['oil painting', 'flat'], offset: 12 },
  { name: 'celestial', values: [false, true], offset: 14 },
  { name: 'clouds', values: [false, true], offset: 16 },
  { name: 'stars', values: [false, true], offset: 18 },
];

const SUNSET: SceneAttributes = {
  timeOfDay: 'sunset',
  terrain: 'mountains',
  palette: 'warm',
  style: 'oil painting',
  celestial: false,
  clouds: false,
  stars: false,
};
const NIGHT: SceneAttributes = {
  timeOfDay: 'night',
  terrain: 'ocean',
  palette: 'purple',
  style: 'flat',
  celestial: true,
  clouds: false,
  stars: true,
};

/** One row of 20 logits with a 1 at each chosen index. */
function oneHot(indices: number[]): number[] {
  const row = new Array<number>(20).fill(0);
  for (const i of indices) row[i] = 1;
  return row;
}

describe('promptAttributes', () => {
  test('reads the four main attributes and treats unnamed extras as absent', () => {
    assert.deepEqual(promptAttributes('a beautiful sunset over mountains, oil painting style, warm colors'), SUNSET);
  });
  test('reads the moon and stars of a night caption', () => {
    assert.deepEqual(
      promptAttributes('a beautiful night sky over ocean with the moon and stars, flat style, purple colors'),
      NIGHT,
    );
  });
  test('throws naming the prompt when a main attribute is missing', () => {
    assert.throws(
      () => promptAttributes('a beautiful sunset over mountains, warm colors'),
      (e: unknown) => e instanceof InvalidArgumentError && /style/.test(e.message),
    );
  });
  test('throws on words outside the scene language instead of dropping them', () => {
    assert.throws(
      () => promptAttributes('a beautiful sunset over mountains with a zebra, flat style, warm colors'),
      (e: unknown) => e instanceof InvalidArgumentError && /zebra/.test(e.message),
    );
  });
});

describe('decodeAttributes', () => {
  test('takes the arg-max of each head', () => {
    const logits = [...oneHot([2, 4, 8, 12, 14, 16, 18]), ...oneHot([3, 6, 10, 13, 15, 16, 19])];
    assert.deepEqual(decodeAttributes(logits, 2, HEADS), [SUNSET, NIGHT]);
  });
  test('rejects a logits array of the wrong length', () => {
    assert.throws(() => decodeAttributes(new Float32Array(39), 2, HEADS), InvalidArgumentError);
  });
});

describe('attributeAccuracy', () => {
  test('counts matches per attribute', () => {
    const wrongTime = { ...NIGHT, timeOfDay: 'sunset' };
    const acc = attributeAccuracy([SUNSET, wrongTime], [SUNSET, NIGHT]);
    assert.equal(acc.timeOfDay, 0.5);
    assert.equal(acc.terrain, 1);
    assert.equal(acc.stars, 1);
  });
  test('rejects lists of different lengths and empty lists', () => {
    assert.throws(() => attributeAccuracy([SUNSET], [SUNSET, NIGHT]), InvalidArgumentError);
    assert.throws(() => attributeAccuracy([], []), InvalidArgumentError);
  });
});

describe('promptAdherence', () => {
  const prompts = [
    'a beautiful sunset over mountains, oil painting style, warm colors',
    'a beautiful night sky over ocean with the moon and stars, flat style, purple colors',
  ];
  test('is 1 when every prompted attribute is seen', () => {
    const a = promptAdherence([SUNSET, NIGHT], prompts);
    assert.equal(a.mean, 1);
    assert.equal(a.allCorrect, 1);
  });
  test('one wrong attribute out of 14 costs 1/14 of the mean and half of the all-correct rate', () => {
    const a = promptAdherence([SUNSET, { ...NIGHT, stars: false }], prompts);
    assert.ok(Math.abs(a.mean - 13 / 14) < 1e-12);
    assert.equal(a.allCorrect, 0.5);
    assert.equal(a.perAttribute.stars, 0.5);
  });
  test('an image that ignores its prompt scores by chance only', () => {
    const a = promptAdherence([NIGHT, SUNSET], prompts);
    // Only "clouds: false" agrees between the two specs.
    assert.ok(Math.abs(a.mean - 1 / 7) < 1e-12);
    assert.equal(a.allCorrect, 0);
  });
});
