#!/usr/bin/env node
/**
 * Builds models/fixtures/clip-tokenizer/tokenizer.json.gz, the real CLIP BPE tokenizer (the one every
 * Stable Diffusion 1.x/2.x text encoder uses), from the vocabulary OpenAI published with CLIP:
 * `clip/bpe_simple_vocab_16e6.txt.gz` of github.com/openai/CLIP (MIT licence, see the fixture's README).
 *
 *   git -C <clone of openai/CLIP> show HEAD:clip/bpe_simple_vocab_16e6.txt.gz > /tmp/bpe.txt.gz
 *   npm run build && node models/recipes/clip_tokenizer.mjs /tmp/bpe.txt.gz
 *
 * The vocabulary is derived the way CLIP's clip/simple_tokenizer.py defines it (Radford et al. 2021):
 * 1. the 256 byte-level symbols, in the order of its bytes_to_unicode table (the printable bytes
 *    "!".."~", "¡".."¬", "®".."ÿ" map to themselves; the other 68 bytes to U+0100 onwards);
 * 2. the same 256 symbols with the end-of-word suffix "</w>";
 * 3. one token per merge, the concatenation of its two halves, for the first 49152 - 256 - 2 merges of
 *    the file (the line after the "#version" header onwards);
 * 4. "<|startoftext|>" and "<|endoftext|>".
 * That is 49408 ids, ids 49406 and 49407 being the two special tokens. The tokenizer.json around them is
 * src/onnx/tokenizer.ts's buildClipTokenizerJson (the same code that serves real model folders that ship
 * only vocab.json + merges.txt), so the fixture tests that code on the real vocabulary.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const OUT_DIR = join(ROOT, 'models', 'fixtures', 'clip-tokenizer');
/** Merges CLIP uses (simple_tokenizer.py keeps lines 1 .. 49152-256-2 of the file): 48894. */
const MERGE_COUNT = 49152 - 256 - 2;

/** CLIP's bytes_to_unicode symbols in table order (the order of ids 0..255). */
export function byteSymbols() {
  const printable = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const symbols = printable.map((b) => String.fromCodePoint(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) symbols.push(String.fromCodePoint(256 + n++));
  return symbols;
}

/** vocab (token -> id) and merges ("a b" lines) from the text of bpe_simple_vocab_16e6.txt. */
export function clipVocabFromBpeText(text) {
  const lines = text.split('\n');
  if (!lines[0].includes('#version')) throw new Error(`unexpected first line ${JSON.stringify(lines[0].slice(0, 60))}`);
  const merges = lines.slice(1, 1 + MERGE_COUNT);
  if (merges.length !== MERGE_COUNT) throw new Error(`expected ${MERGE_COUNT} merges, found ${merges.length}`);
  const tokens = byteSymbols();
  tokens.push(...tokens.map((s) => s + '</w>'));
  for (const m of merges) {
    const parts = m.split(' ');
    if (parts.length !== 2) throw new Error(`malformed merge ${JSON.stringify(m)}`);
    tokens.push(parts[0] + parts[1]);
  }
  tokens.push('<|startoftext|>', '<|endoftext|>');
  const vocab = {};
  tokens.forEach((t, i) => {
    if (Object.prototype.hasOwnProperty.call(vocab, t)) throw new Error(`duplicate token ${JSON.stringify(t)} at ${i}`);
    vocab[t] = i;
  });
  return { vocab, merges };
}

function main() {
  const source = process.argv[2];
  if (!source) {
    console.error('usage: node models/recipes/clip_tokenizer.mjs <path to bpe_simple_vocab_16e6.txt.gz>');
    process.exit(2);
  }
  const gz = readFileSync(source);
  const { vocab, merges } = clipVocabFromBpeText(gunzipSync(gz).toString('utf8'));
  const require = createRequire(import.meta.url);
  const { buildClipTokenizerJson } = require(join(ROOT, 'dist', 'onnx', 'tokenizer.js'));
  const json = buildClipTokenizerJson(vocab, merges, { bos: '<|startoftext|>', eos: '<|endoftext|>', unk: '<|endoftext|>' });
  const out = gzipSync(Buffer.from(JSON.stringify(json)), { level: 9 });
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, 'tokenizer.json.gz');
  writeFileSync(file + '.partial', out);
  renameSync(file + '.partial', file);
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  console.log(`${file}: ${out.length} bytes, ${Object.keys(vocab).length} tokens, ${merges.length} merges`);
  console.log(`source sha256 ${sha(gz)}; output sha256 ${sha(out)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
