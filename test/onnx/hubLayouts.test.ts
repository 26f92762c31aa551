import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MODEL_INCLUDE, globToRegExp } from '../../src/onnx/download.js';
import { KNOWN_MODELS } from '../../src/onnx/registry.js';

/**
 * Each registry entry against the file list of its published repository, as recorded in
 * data/hub-layouts/<name>.json with where each part of it was read (export tools' source, the publishers'
 * own loaders, third-party loaders; the hub itself cannot be reached from here, so `complete` is false).
 * A rename upstream is meant to be recorded there, and then fails here instead of in a user's download.
 */
const LAYOUTS = path.resolve(__dirname, '..', '..', '..', 'data', 'hub-layouts');

interface Layout {
  name: string;
  repo: string;
  revision: string;
  files: string[];
  complete: boolean;
  sources: { files: string; source: string; kind: string }[];
  unverified: string;
}

function layout(name: string): Layout {
  return JSON.parse(fs.readFileSync(path.join(LAYOUTS, `${name}.json`), 'utf8')) as Layout;
}

const include = DEFAULT_MODEL_INCLUDE.map(globToRegExp);
const downloaded = (f: string) => include.some((re) => re.test(f));
const EXTERNAL_DATA = /\.(onnx_data|onnx\.data|pb)$/;

describe('registry entries match their recorded published layouts', () => {
  test('every registry entry has a layout record, and every record a registry entry', () => {
    const records = fs
      .readdirSync(LAYOUTS)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    assert.deepEqual(records, KNOWN_MODELS.map((m) => m.name).sort());
  });

  for (const m of KNOWN_MODELS) {
    describe(m.name, () => {
      const l = layout(m.name);
      test('same repository and revision; every claim has a source; what is unverified is said', () => {
        assert.deepEqual([l.repo, l.revision], [m.repo, m.revision]);
        assert.ok(l.sources.length > 0 && l.sources.every((s) => s.source.length > 20));
        assert.equal(l.complete, false, 'no hub listing was read: the record must not claim to be complete');
        assert.ok(l.unverified.length > 0);
      });

      test('every file the registry expects is in the published list', () => {
        for (const f of m.expectedFiles)
          assert.ok(l.files.includes(f), `${f} is not in data/hub-layouts/${m.name}.json`);
      });

      test('the published list has what the pipeline reads, and the downloader selects all of it', () => {
        const needed = [
          'model_index.json',
          'scheduler/scheduler_config.json',
          'text_encoder/model.onnx',
          'unet/model.onnx',
          'vae_decoder/model.onnx',
        ];
        for (const f of needed) assert.ok(l.files.includes(f), f);
        const tokenizer =
          l.files.includes('tokenizer/tokenizer.json') ||
          (l.files.includes('tokenizer/vocab.json') && l.files.includes('tokenizer/merges.txt'));
        assert.ok(tokenizer, 'tokenizer/tokenizer.json or tokenizer/vocab.json + merges.txt');
        const readByPipeline = l.files.filter((f) =>
          /^(model_index\.json|scheduler\/|tokenizer\/|text_encoder\/|unet\/|vae_decoder\/)/.test(f),
        );
        for (const f of readByPipeline) assert.ok(downloaded(f), `the downloader's include patterns skip ${f}`);
      });

      test('external-data files of the published list are expected by the registry', () => {
        for (const f of l.files.filter((x) => EXTERNAL_DATA.test(x))) assert.ok(m.expectedFiles.includes(f), f);
      });
    });
  }
});
