import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ClipTokenizer, loadClipTokenizer, type ClipTokenizerConfig } from '../../src/onnx/tokenizer.js';

/**
 * The real CLIP vocabulary (models/fixtures/clip-tokenizer, built from openai/CLIP's
 * bpe_simple_vocab_16e6.txt.gz by models/recipes/clip_tokenizer.mjs) against token ids that others
 * published. Every expected sequence below is copied from the cited source, not from this code.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURE = path.join(ROOT, 'models', 'fixtures', 'clip-tokenizer', 'tokenizer.json.gz');
const TOKENIZER_JSON = JSON.parse(zlib.gunzipSync(fs.readFileSync(FIXTURE)).toString('utf8')) as Record<
  string,
  unknown
>;

/**
 * The special tokens of the two SD generations, from their tokenizer/special_tokens_map.json as linked in
 * huggingface/diffusers issue #2201 ("Padding difference in Stable Diffusion tokenizers: 1.x vs 2.x"):
 * runwayml/stable-diffusion-v1-5@39593d5 pads with "<|endoftext|>" (49407),
 * stabilityai/stable-diffusion-2-base@d28fc80 pads with "!" (id 0).
 */
const SD1_CONFIG: ClipTokenizerConfig = {
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  model_max_length: 77,
};
const SD2_CONFIG: ClipTokenizerConfig = { ...SD1_CONFIG, pad_token: '!' };

const sd1 = new ClipTokenizer(TOKENIZER_JSON, SD1_CONFIG, () => undefined);
const sd2 = new ClipTokenizer(TOKENIZER_JSON, SD2_CONFIG, () => undefined);

/** The ids up to and including the first end-of-text. */
function unpadded(ids: number[]): number[] {
  return ids.slice(0, ids.indexOf(49407) + 1);
}

/** [prompt, published ids (BOS ... EOS), where they were published]. */
const PUBLISHED: [string, number[], string][] = [
  [
    'a photo of a cat',
    [49406, 320, 1125, 539, 320, 2368, 49407],
    'elixir-nx/bumblebee test/bumblebee/text/clip_tokenizer_test.exs (openai/clip-vit-base-patch32); also zer0int/CLIP-tokenizer README.md',
  ],
  [
    'a photo of a dog',
    [49406, 320, 1125, 539, 320, 1929, 49407],
    'elixir-nx/bumblebee test/bumblebee/text/clip_tokenizer_test.exs',
  ],
  [
    'a photo of an astronaut riding a horse on mars',
    [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407],
    'apple/ml-stable-diffusion swift/StableDiffusionTests/StableDiffusionTests.swift (testBPETokenizer)',
  ],
  [
    'Apple CoreML developer tools on a Macbook Air are fast',
    [49406, 3055, 19622, 5780, 10929, 5771, 525, 320, 20617, 1922, 631, 1953, 49407],
    'apple/ml-stable-diffusion swift/StableDiffusionTests/StableDiffusionTests.swift (testBPETokenizer)',
  ],
  [
    'the quick brown fox jumped over the lazy dog',
    [49406, 518, 3712, 2866, 3240, 16901, 962, 518, 10753, 1929, 49407],
    'apple/corenet tests/data/text_tokenizer/test_openai_clip_tokenizer.py',
  ],
  [
    'Hello, World! 123',
    [49406, 3306, 267, 1002, 256, 272, 273, 274, 49407],
    'emgucv/emgucv CLIP test ("Tokenizer exactness against the huggingface CLIPTokenizer reference")',
  ],
  // open_clip's output quoted in huggingface/diffusers issue #4153 (the original tokenizer SD 2.x was trained with).
  ['! !! !!!', [49406, 256, 748, 995, 49407], 'huggingface/diffusers issue #4153 (open_clip.tokenize)'],
];

describe('the real CLIP tokenizer against published ids', () => {
  for (const [prompt, ids, source] of PUBLISHED) {
    test(`${JSON.stringify(prompt)} (${source.split(' ')[0]})`, () => {
      assert.deepEqual(unpadded(sd1.encode(prompt).ids), ids);
    });
  }

  test('has the 49408 ids of CLIP: "!" is 0, the special tokens 49406 and 49407', () => {
    assert.equal(Object.keys((TOKENIZER_JSON.model as { vocab: object }).vocab).length, 49408);
    assert.equal(sd1.tokenToId('!'), 0);
    assert.equal(sd1.bosId, 49406);
    assert.equal(sd1.eosId, 49407);
  });

  test('lower-cases and cleans whitespace: case and runs of spaces, tabs and newlines do not change the ids', () => {
    const ref = sd1.encode('a photo of a cat').ids;
    assert.deepEqual(sd1.encode('  A   Photo\tof\n a CAT  ').ids, ref);
    assert.deepEqual(sd1.encode('A PHOTO OF A CAT').ids, ref);
  });

  test('splits punctuation and single digits off words (the CLIP pattern)', () => {
    // "Hello, World! 123" above: "," "!" and each digit are their own tokens; "cat's" splits off "'s".
    assert.deepEqual(sd1.encode("cat's").tokens.slice(1, -1), ['cat</w>', "'s</w>"]);
    assert.deepEqual(sd1.encode('2024').tokens.slice(1, -1), ['2</w>', '0</w>', '2</w>', '4</w>']);
  });
});

describe('padding and truncation as the SD generations configure them', () => {
  test('SD 1.x pads to 77 with <|endoftext|> (49407)', () => {
    const ids = sd1.encode('a photo of a cat').ids;
    assert.equal(ids.length, 77);
    assert.deepEqual(ids.slice(7), new Array(70).fill(49407));
  });

  test('SD 2.x pads to 77 with "!" (id 0); a "!" in the prompt stays 256 ("!</w>"), as in open_clip', () => {
    const ids = sd2.encode('a photo of a cat!').ids;
    assert.deepEqual(ids.slice(0, 8), [49406, 320, 1125, 539, 320, 2368, 256, 49407]);
    assert.deepEqual(ids.slice(8), new Array(69).fill(0));
  });

  test('truncates at 77: the first 76 ids kept, EOS last, the rest reported dropped', () => {
    const warnings: string[] = [];
    const tok = new ClipTokenizer(TOKENIZER_JSON, SD1_CONFIG, (m) => warnings.push(m));
    // "cat" is one token (2368): 100 of them + BOS + EOS = 102 ids, 25 dropped.
    const e = tok.encode(new Array(100).fill('cat').join(' '));
    assert.equal(e.ids.length, 77);
    assert.equal(e.ids[0], 49406);
    assert.deepEqual(e.ids.slice(1, 76), new Array(75).fill(2368));
    assert.equal(e.ids[76], 49407);
    assert.equal(e.droppedTokens, 25);
    assert.equal(warnings.length, 1);
  });
});

describe('the slow files (vocab.json + merges.txt), as SD exports ship them', () => {
  test('a tokenizer folder with only vocab.json, merges.txt and the SD 2.x config gives the same ids', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-clip-'));
    const model = TOKENIZER_JSON.model as { vocab: Record<string, number>; merges: string[] };
    fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(model.vocab));
    fs.writeFileSync(path.join(dir, 'merges.txt'), ['#version: 0.2', ...model.merges].join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(SD2_CONFIG));
    const slow = loadClipTokenizer(dir);
    for (const [prompt, ids] of PUBLISHED) assert.deepEqual(unpadded(slow.encode(prompt).ids), ids, prompt);
    assert.equal(slow.padId, 0);
  });
});
