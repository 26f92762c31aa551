import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError, ModelFileError } from '../core/errors.js';

/** The part of @huggingface/tokenizers' Tokenizer this module uses. */
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
}

// The package is an ES module with a CommonJS build behind its "require" condition. This file
// compiles to CommonJS, and TypeScript (node16 resolution) refuses a static import of an ES
// module's types from CommonJS, so it is required and typed by the interface above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (tokenizerJson: object, config: object) => HfTokenizer;
};

/**
 * CLIP's pre-tokenizer split (Radford et al. 2021, the `pat` of OpenAI's simple_tokenizer.py as
 * Hugging Face's tokenizer.json writes it): special tokens, English contractions, letter runs,
 * single digits, runs of other non-space characters.
 */
export const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** The parts of a tokenizer_config.json (plus special_tokens_map.json) the pipeline reads. */
export interface ClipTokenizerConfig {
  bos_token?: string | { content: string };
  eos_token?: string | { content: string };
  unk_token?: string | { content: string };
  pad_token?: string | { content: string };
  model_max_length?: number;
  [key: string]: unknown;
}

/** One prompt, tokenized for the text encoder. */
export interface ClipEncoding {
  /** Exactly maxLength ids: BOS, tokens, EOS, then padding. */
  ids: number[];
  /** The tokens before padding (BOS and EOS included). */
  tokens: string[];
  /** Words of the prompt that became the unknown token. */
  unknownWords: string[];
  /**
   * Words that are not one vocabulary token and were split into pieces (unknown words included).
   * With real CLIP these are rarer words; with a word-level vocabulary (the shipped scenes model)
   * they are the words the model never saw, so they are reported rather than silently spelled out.
   */
  splitWords: string[];
  /** How many tokens truncation dropped (0 when the prompt fit). */
  droppedTokens: number;
}

/**
 * Builds, in memory, the `tokenizer.json` that Hugging Face's fast CLIPTokenizer uses, from the
 * slow tokenizer's files: NFC + whitespace collapse + lowercase normalizer, CLIP's regex split
 * followed by the byte-level alphabet, BPE with the `</w>` end-of-word suffix, and BOS ... EOS
 * around each sequence.
 */
export function buildClipTokenizerJson(
  vocab: Record<string, number>,
  merges: string[],
  special: { bos: string; eos: string; unk: string },
): Record<string, unknown> {
  for (const [field, token] of [
    ['bos_token', special.bos],
    ['eos_token', special.eos],
    ['unk_token', special.unk],
  ] as const) {
    if (!Object.prototype.hasOwnProperty.call(vocab, token)) {
      throw new InvalidArgumentError(field, token, 'expected a token present in vocab.json');
    }
  }
  const addedToken = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const added = [special.bos, special.eos].filter((t, i, a) => a.indexOf(t) === i).map(addedToken);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [special.eos, vocab[special.eos]],
      cls: [special.bos, vocab[special.bos]],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: special.unk,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

function tokenContent(t: string | { content: string } | undefined): string | undefined {
  if (t === undefined || t === null) return undefined;
  return typeof t === 'string' ? t : t.content;
}

/** Reads a JSON file that must hold an object (ModelFileError names the file otherwise). */
function readJson(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(file, `cannot read ${file}: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ModelFileError(
      file,
      `${file} holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}; expected a JSON object`,
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * A CLIP text tokenizer: text -> exactly `maxLength` ids (BOS, BPE tokens, EOS, padding), with
 * truncation and a report of the words that fell outside the vocabulary.
 */
export class ClipTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly unkId: number;
  readonly padId: number;
  readonly unkToken: string;
  /** Where warnings (truncation) go; console.warn by default. */
  warn: (message: string) => void;
  private readonly tokenizer: HfTokenizer;
  /** The vocabulary's token strings (from tokenizer.json's model.vocab). */
  private readonly vocabTokens: string[];
  private readonly splitPattern = new RegExp(CLIP_SPLIT_PATTERN, 'gu');

  constructor(
    tokenizerJson: Record<string, unknown>,
    config: ClipTokenizerConfig,
    warn: (message: string) => void = (m) => console.warn(m),
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, config);
    this.warn = warn;
    const model = tokenizerJson.model as { unk_token?: string; vocab?: Record<string, number> } | undefined;
    this.vocabTokens = model?.vocab && typeof model.vocab === 'object' ? Object.keys(model.vocab) : [];
    const bos = tokenContent(config.bos_token) ?? '<|startoftext|>';
    const eos = tokenContent(config.eos_token) ?? '<|endoftext|>';
    this.unkToken = tokenContent(config.unk_token) ?? model?.unk_token ?? eos;
    const pad = tokenContent(config.pad_token) ?? eos;
    const id = (field: string, token: string): number => {
      const v = this.tokenizer.token_to_id(token);
      if (v === undefined) throw new InvalidArgumentError(field, token, 'expected a token present in the vocabulary');
      return v;
    };
    this.bosId = id('bos_token', bos);
    this.eosId = id('eos_token', eos);
    this.unkId = id('unk_token', this.unkToken);
    this.padId = id('pad_token', pad);
    const maxLength = config.model_max_length;
    // Some configs carry a huge sentinel (1e30) for "no limit"; CLIP's text encoder takes 77.
    this.maxLength =
      typeof maxLength === 'number' && Number.isInteger(maxLength) && maxLength >= 2 && maxLength <= 4096
        ? maxLength
        : 77;
  }

  /** Tokenizes one prompt into exactly maxLength ids. Warns (once per call) when it truncates. */
  encode(text: string): ClipEncoding {
    if (typeof text !== 'string') throw new InvalidArgumentError('prompt', text, 'expected a string');
    const encoded = this.tokenizer.encode(text, { add_special_tokens: true });
    let tokens = encoded.tokens;
    let ids = encoded.ids;
    let droppedTokens = 0;
    if (ids.length > this.maxLength) {
      droppedTokens = ids.length - this.maxLength;
      tokens = [...tokens.slice(0, this.maxLength - 1), tokens[tokens.length - 1]];
      ids = [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1]];
      this.warn(
        `tokenizer: prompt truncated to ${this.maxLength} tokens, ${droppedTokens} token${droppedTokens === 1 ? '' : 's'} dropped: ${JSON.stringify(text.slice(0, 60))}${text.length > 60 ? '...' : ''}`,
      );
    }
    const padded = ids.slice();
    while (padded.length < this.maxLength) padded.push(this.padId);
    const report = this.wordReport(text);
    return { ids: padded, tokens, unknownWords: report.unknownWords, splitWords: report.splitWords, droppedTokens };
  }

  /** Words of `text` (after CLIP's normalization and split) that contain a piece outside the vocabulary. */
  unknownWords(text: string): string[] {
    return this.wordReport(text).unknownWords;
  }

  /** Per word of `text`: does it hold a piece outside the vocabulary (unknown), is it more than one token (split)? */
  private wordReport(text: string): { unknownWords: string[]; splitWords: string[] } {
    const normalized = text.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase();
    const unknownWords: string[] = [];
    const splitWords: string[] = [];
    for (const word of normalized.match(this.splitPattern) ?? []) {
      if (word === '<|startoftext|>' || word === '<|endoftext|>') continue;
      const pieces = this.tokenizer.encode(word, { add_special_tokens: false }).tokens;
      if (pieces.includes(this.unkToken) && !unknownWords.includes(word)) unknownWords.push(word);
      if (pieces.length > 1 && !splitWords.includes(word)) splitWords.push(word);
    }
    return { unknownWords, splitWords };
  }

  /** Number of tokens in the vocabulary. */
  get vocabularySize(): number {
    return this.vocabTokens.length;
  }

  /**
   * A small, word-level vocabulary (like the shipped scenes model's, under 10,000 tokens): a word
   * that is not one token was never seen in training, so splitting it into pieces does not help the
   * model understand it. Real CLIP (49,408 tokens) spells rare words in pieces it does understand.
   */
  get wordLevel(): boolean {
    return this.vocabTokens.length > 0 && this.vocabTokens.length < 10_000;
  }

  /**
   * The whole words of the vocabulary, read from it: end-of-word tokens (`sun</w>`) of two or more
   * letters, less BPE pieces (a token that only ends a longer word, like `set</w>` of `sunset</w>`),
   * sorted. With a word-level vocabulary these are the words the model was trained on.
   */
  wholeWords(): string[] {
    const words = this.vocabTokens
      .filter((t) => t.endsWith('</w>'))
      .map((t) => t.slice(0, -'</w>'.length))
      .filter((w) => /^\p{L}{2,}$/u.test(w));
    const set = new Set(words);
    const isPiece = (w: string) => words.some((longer) => longer.length > w.length && longer.endsWith(w));
    return [...set].filter((w) => !isPiece(w)).sort();
  }

  /** Words of `text` the model cannot understand: unknown words, and with a word-level vocabulary, split ones. */
  wordsNotUnderstood(text: string): string[] {
    const r = this.wordReport(text);
    return this.wordLevel ? [...new Set([...r.unknownWords, ...r.splitWords])] : r.unknownWords;
  }

  /** The token strings of ids (for display and tests). */
  idsToTokens(ids: readonly number[]): string[] {
    return ids.map((i) => this.tokenizer.id_to_token(i) ?? `<${i}>`);
  }

  /** Id of a token string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

/**
 * Loads the CLIP tokenizer in `dir` (a model's `tokenizer/` folder): `tokenizer.json` when present,
 * else the slow files `vocab.json` + `merges.txt`, turned into the equivalent tokenizer.json.
 * `tokenizer_config.json` and `special_tokens_map.json` supply the special tokens, the pad token
 * (SD 1.x pads with `<|endoftext|>`, SD 2.x with `!`) and model_max_length.
 */
export function loadClipTokenizer(dir: string, options: { warn?: (message: string) => void } = {}): ClipTokenizer {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new MissingResourceError(
      dir,
      `tokenizer folder ${dir} does not exist; a model folder needs tokenizer/ with tokenizer.json or vocab.json + merges.txt (get a model with \`npm run fetch-model -- <repo>\`)`,
    );
  }
  const configFile = path.join(dir, 'tokenizer_config.json');
  const mapFile = path.join(dir, 'special_tokens_map.json');
  const config: ClipTokenizerConfig = {
    ...(fs.existsSync(mapFile) ? (readJson(mapFile) as object) : {}),
    ...(fs.existsSync(configFile) ? (readJson(configFile) as object) : {}),
  };
  const jsonFile = path.join(dir, 'tokenizer.json');
  let tokenizerJson: Record<string, unknown>;
  if (fs.existsSync(jsonFile)) {
    tokenizerJson = readJson(jsonFile) as Record<string, unknown>;
  } else {
    const vocabFile = path.join(dir, 'vocab.json');
    const mergesFile = path.join(dir, 'merges.txt');
    for (const f of [vocabFile, mergesFile]) {
      if (!fs.existsSync(f)) {
        throw new MissingResourceError(
          f,
          `${f} is missing: the tokenizer folder needs tokenizer.json, or vocab.json and merges.txt (get a model with \`npm run fetch-model -- <repo>\`)`,
        );
      }
    }
    const vocab = readJson(vocabFile) as Record<string, number>;
    const merges = fs
      .readFileSync(mergesFile, 'utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith('#version')));
    const eos = tokenContent(config.eos_token) ?? '<|endoftext|>';
    tokenizerJson = buildClipTokenizerJson(vocab, merges, {
      bos: tokenContent(config.bos_token) ?? '<|startoftext|>',
      eos,
      unk: tokenContent(config.unk_token) ?? eos,
    });
  }
  return new ClipTokenizer(tokenizerJson, config, options.warn);
}
