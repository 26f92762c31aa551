import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPipeline, vocabularyNote } from '../../src/onnx/pipeline.js';
import { loadClipTokenizer } from '../../src/onnx/tokenizer.js';
import { SCENE_ATTRIBUTES } from '../../src/scenes/scene.js';

// Issue 11 item 14: the shipped model drew a sunset for "a cat wearing a red hat" without a word.
const MODEL = path.resolve(__dirname, '..', '..', '..', 'models', 'scenes-lcm');

describe("words outside the shipped model's vocabulary", () => {
  test('the tokenizer lists the words the model knows: the scene language it was trained on (src/scenes), no BPE pieces', () => {
    const words = loadClipTokenizer(path.join(MODEL, 'tokenizer')).wholeWords();
    const sceneWords = Object.values(SCENE_ATTRIBUTES)
      .flat()
      .flatMap((p) => p.split(' '));
    for (const w of sceneWords) assert.ok(words.includes(w), `${w} in ${words.join(' ')}`);
    for (const piece of ['set', 'rise', 'ains', 'autiful']) assert.ok(!words.includes(piece), piece);
    assert.ok(!words.includes('cat'));
  });
  test('generating says once per prompt which words were not understood, and which it knows', async () => {
    const notes: string[] = [];
    const pipe = await loadPipeline(MODEL, { device: 'cpu', log: () => {}, vocabularyNote: (l) => notes.push(l) });
    const ask = (prompt: string) => pipe.generate({ prompt, steps: 1, seed: 0, width: 64, height: 64 });
    await ask('a cat wearing a red hat');
    await ask('a cat wearing a red hat');
    await ask('a beautiful sunset over mountains, oil painting style, warm colors');
    assert.equal(notes.length, 1, notes.join('\n---\n'));
    assert.match(notes[0], /does not understand "cat", "wearing", "red", "hat" in "a cat wearing a red hat"/);
    assert.match(notes[0], /Words it knows \(from its tokenizer\): .*\bmountains\b.*\bsunset\b/);
  });
  test('no note for a prompt the model understands', () => {
    assert.equal(
      vocabularyNote(
        loadClipTokenizer(path.join(MODEL, 'tokenizer')),
        'a night sky over the ocean with stars, flat style, cool colors',
      ),
      undefined,
    );
  });
});
