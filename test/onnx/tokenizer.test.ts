import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MissingResourceError } from '../../src/core/errors.js';
import { buildClipTokenizerJson, loadClipTokenizer } from '../../src/onnx/tokenizer.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// A hand-made CLIP-style vocabulary: base symbols, the same with the end-of-word suffix, five merges.
const BASE = ['!', "'", 'a', 'c', 'e', 'h', 'r', 's', 't'];
const MERGES = ['c a', 'ca t</w>', 'ca t', 't h', 'th e</w>'];
function handVocab(): Record<string, number> {
  const tokens = [
    ...BASE,
    ...BASE.map((s) => s + '</w>'),
    'ca',
    'cat</w>',
    'cat',
    'th',
    'the</w>',
    '<|startoftext|>',
    '<|endoftext|>',
  ];
  return Object.fromEntries(tokens.map((t, i) => [t, i]));
}

function writeSlowTokenizer(config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-tok-'));
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(handVocab()));
  fs.writeFileSync(path.join(dir, 'merges.txt'), ['#version: 0.2', ...MERGES].join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      model_max_length: 77,
      ...config,
    }),
  );
  return dir;
}

const V = handVocab();
const BOS = V['<|startoftext|>'];
const EOS = V['<|endoftext|>'];

describe('CLIP tokenizer built from vocab.json + merges.txt', () => {
  const tok = loadClipTokenizer(writeSlowTokenizer({ pad_token: '<|endoftext|>' }));

  test('wraps the tokens in BOS ... EOS and pads to 77 with the pad token', () => {
    const e = tok.encode('cat');
    // c a t</w> -> (merge 1 "c a") ca t</w> -> (merge 2 "ca t</w>") cat</w>
    assert.deepEqual(e.tokens, ['<|startoftext|>', 'cat</w>', '<|endoftext|>']);
    assert.equal(e.ids.length, 77);
    assert.deepEqual(e.ids.slice(0, 4), [BOS, V['cat</w>'], EOS, EOS]);
    assert.equal(e.droppedTokens, 0);
  });

  test('applies merges by rank, the end-of-word suffix deciding which merge fits', () => {
    // c a t s</w> -> ca t s</w> -> (merge 3 "ca t"; "ca t</w>" does not apply to a bare t) cat s</w>
    assert.deepEqual(tok.encode('cats').tokens.slice(1, -1), ['cat', 's</w>']);
    // t h e</w> -> (merge 4) th e</w> -> (merge 5) the</w>
    assert.deepEqual(tok.encode('the').tokens.slice(1, -1), ['the</w>']);
    // h a t</w>: no merge applies
    assert.deepEqual(tok.encode('hat').tokens.slice(1, -1), ['h', 'a', 't</w>']);
  });

  test('lowercases, collapses whitespace and splits punctuation and contractions as CLIP does', () => {
    assert.deepEqual(tok.encode('  The\t\nCAT!  ').tokens.slice(1, -1), ['the</w>', 'cat</w>', '!</w>']);
    // "cat's" -> "cat", "'s" -> ' s</w>
    assert.deepEqual(tok.encode("Cat's").tokens.slice(1, -1), ['cat</w>', "'", 's</w>']);
  });

  test('reports words with pieces outside the vocabulary, which become the unknown token', () => {
    const e = tok.encode('the zebra');
    // z e b r a</w>: no merges; z and b are not in the vocabulary -> <|endoftext|> (CLIP's unk)
    assert.deepEqual(e.tokens.slice(1, -1), ['the</w>', '<|endoftext|>', 'e', '<|endoftext|>', 'r', 'a</w>']);
    assert.deepEqual(e.unknownWords, ['zebra']);
    assert.deepEqual(tok.encode('the cat').unknownWords, []);
  });

  test('reports words that are not one vocabulary token (split into pieces), unknown ones included', () => {
    // cats -> cat + s</w>; hat -> h a t</w>; zebra -> pieces with unk; the, cat -> one token each
    assert.deepEqual(tok.encode('the cats hat zebra cat').splitWords, ['cats', 'hat', 'zebra']);
    assert.deepEqual(tok.encode('the cat!').splitWords, []);
  });

  test('truncates to 77 tokens, keeps EOS last and warns with the number dropped', () => {
    const warnings: string[] = [];
    const t = loadClipTokenizer(writeSlowTokenizer({ pad_token: '<|endoftext|>' }), { warn: (m) => warnings.push(m) });
    // 80 words -> 80 tokens + BOS + EOS = 82; 77 kept, 5 dropped.
    const e = t.encode(new Array(80).fill('cat').join(' '));
    assert.equal(e.ids.length, 77);
    assert.equal(e.droppedTokens, 5);
    assert.equal(e.ids[0], BOS);
    assert.equal(e.ids[76], EOS);
    assert.equal(e.ids[75], V['cat</w>']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /5 tokens dropped/);
    assert.equal(t.encode(new Array(75).fill('cat').join(' ')).droppedTokens, 0);
    assert.equal(warnings.length, 1);
  });

  test('pads with the configured pad token: "!" (SD 2.x style) pads with its id', () => {
    const t = loadClipTokenizer(writeSlowTokenizer({ pad_token: '!' }));
    assert.equal(t.padId, V['!']);
    assert.deepEqual(t.encode('cat').ids.slice(0, 5), [BOS, V['cat</w>'], EOS, V['!'], V['!']]);
  });

  test('a tokenizer.json in the folder is used as is', () => {
    const dir = writeSlowTokenizer({ pad_token: '<|endoftext|>' });
    const json = buildClipTokenizerJson(handVocab(), MERGES, {
      bos: '<|startoftext|>',
      eos: '<|endoftext|>',
      unk: '<|endoftext|>',
    });
    // Drop the merge "th e</w>" in tokenizer.json only: "the" then stays two tokens.
    (json.model as { merges: string[] }).merges = MERGES.slice(0, 4);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    assert.deepEqual(loadClipTokenizer(dir).encode('the').tokens.slice(1, -1), ['th', 'e</w>']);
  });

  test('a missing merges.txt or folder throws MissingResourceError naming it', () => {
    const dir = writeSlowTokenizer({});
    fs.rmSync(path.join(dir, 'merges.txt'));
    assert.throws(
      () => loadClipTokenizer(dir),
      (e: unknown) =>
        e instanceof MissingResourceError && e.path.endsWith('merges.txt') && /fetch-model/.test(e.message),
    );
    assert.throws(() => loadClipTokenizer(path.join(dir, 'nope')), MissingResourceError);
  });
});

describe('the fixture tokenizer (models/fixtures/*/tokenizer)', () => {
  test('every word of the recipe word list is one token; "!" is id 0 as in CLIP', () => {
    const tok = loadClipTokenizer(path.join(ROOT, 'models', 'fixtures', 'tiny-sd', 'tokenizer'));
    assert.deepEqual(tok.encode('A photo of an astronaut riding a horse').tokens, [
      '<|startoftext|>',
      'a</w>',
      'photo</w>',
      'of</w>',
      'an</w>',
      'astronaut</w>',
      'riding</w>',
      'a</w>',
      'horse</w>',
      '<|endoftext|>',
    ]);
    assert.equal(tok.tokenToId('!'), 0);
    assert.equal(tok.padId, tok.eosId);
    assert.equal(loadClipTokenizer(path.join(ROOT, 'models', 'fixtures', 'tiny-sd-int64', 'tokenizer')).padId, 0);
  });
});
