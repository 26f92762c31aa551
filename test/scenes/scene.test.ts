import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import {
  parseScenePrompt,
  randomSceneSpec,
  renderScene,
  sceneCaption,
  sceneDataset,
  type SceneSpec,
} from '../../src/scenes/scene.js';

const coursePromptSpec: SceneSpec = {
  timeOfDay: 'sunset',
  terrain: 'mountains',
  palette: 'warm',
  style: 'oil painting',
  celestial: false,
  clouds: false,
  stars: false,
};

describe('procedural scenes', () => {
  test('the course prompt is the caption of a scene', () => {
    assert.equal(sceneCaption(coursePromptSpec), 'a beautiful sunset over mountains, oil painting style, warm colors');
  });

  test('a caption parses back to the attributes it was made from, with no unknown words', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const spec = randomSceneSpec(rng);
      const { spec: parsed, unknownWords } = parseScenePrompt(sceneCaption(spec));
      assert.deepEqual(unknownWords, []);
      assert.equal(parsed.timeOfDay, spec.timeOfDay);
      assert.equal(parsed.terrain, spec.terrain);
      assert.equal(parsed.palette, spec.palette);
      assert.equal(parsed.style, spec.style);
      assert.equal(parsed.clouds ?? false, spec.clouds);
      assert.equal(parsed.stars ?? false, spec.stars);
      assert.equal(parsed.celestial ?? false, spec.celestial);
    }
  });

  test('words outside the scene vocabulary are reported, not dropped', () => {
    const { unknownWords, spec } = parseScenePrompt('a sunset over mountains with a dragon, watercolor');
    assert.deepEqual(unknownWords, ['dragon', 'watercolor']);
    assert.equal(spec.terrain, 'mountains');
  });

  test('same spec and seed give the same pixels; another seed gives others', () => {
    const a = renderScene(coursePromptSpec, 7);
    const b = renderScene(coursePromptSpec, 7);
    const c = renderScene(coursePromptSpec, 8);
    assert.deepEqual(a.pixels, b.pixels);
    assert.notDeepEqual(a.pixels, c.pixels);
    assert.equal(a.pixels.length, 3 * 64 * 64);
    for (const v of a.pixels) assert.ok(v >= 0 && v <= 1);
  });

  test('attributes change the picture the way their names say', () => {
    const mean = (s: ReturnType<typeof renderScene>) => s.pixels.reduce((x, y) => x + y, 0) / s.pixels.length;
    const noon = renderScene({ ...coursePromptSpec, timeOfDay: 'noon' }, 1);
    const night = renderScene({ ...coursePromptSpec, timeOfDay: 'night' }, 1);
    assert.ok(mean(noon) > mean(night) + 0.2, 'noon is brighter than night');
    const flat = renderScene({ ...coursePromptSpec, style: 'flat' }, 1);
    const levels = new Set(Array.from(flat.pixels, (v) => Math.round(v * 1000)));
    assert.ok(levels.size <= 5, 'flat style is posterised to 5 levels per channel');
  });

  test('the data set is deterministic by seed and covers every attribute value', () => {
    const a = sceneDataset(64, 11, 32);
    const b = sceneDataset(64, 11, 32);
    assert.deepEqual(
      a.map((s) => s.caption),
      b.map((s) => s.caption),
    );
    assert.equal(a[0].width, 32);
    assert.equal(new Set(a.map((s) => s.spec.terrain)).size, 4);
    assert.equal(new Set(a.map((s) => s.spec.timeOfDay)).size, 4);
  });

  test('bad specs and sizes are refused, naming the field', () => {
    assert.throws(
      () => renderScene({ ...coursePromptSpec, terrain: 'jungle' as never }, 0),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'spec.terrain',
    );
    assert.throws(
      () => renderScene({ ...coursePromptSpec, stars: true }, 0),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'spec.stars',
    );
    assert.throws(
      () => renderScene(coursePromptSpec, 0, 8),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'size',
    );
    assert.throws(
      () => sceneDataset(-1, 0),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'count',
    );
  });
});
