import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import { citationText, readPublishedResults } from '../../src/published/index.js';

describe('published results', () => {
  test('reads the package data file: cited rows and text-only claims', () => {
    const data = readPublishedResults();
    assert.ok(data.rows.length >= 100, `${data.rows.length} rows`);
    assert.ok(data.rows.every((r) => typeof r.citation.source === 'string' && Number.isFinite(r.value)));
    assert.ok(data.qualitative.length > 0);
  });

  test('a missing file or a row without value or citation throws naming it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-published-'));
    assert.throws(() => readPublishedResults(path.join(dir, 'nope.json')), MissingResourceError);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        rows: [
          { table: 't', value: 1, citation: { source: 'S', table: 'T' } },
          { table: 't', value: 'x' },
        ],
      }),
    );
    assert.throws(
      () => readPublishedResults(bad),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'rows[1]',
    );
    writeFileSync(bad, JSON.stringify({ description: 'no rows' }));
    assert.throws(
      () => readPublishedResults(bad),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'file',
    );
  });

  test('citationText gives source, table and URL (or arXiv id)', () => {
    assert.equal(
      citationText({ citation: { source: 'S', table: 'Table 1', arxiv: '2310.04378' } }),
      'S, Table 1 (arXiv:2310.04378)',
    );
    assert.equal(citationText({ citation: { source: 'S', table: 'T', url: 'https://x' } }), 'S, T (https://x)');
    assert.throws(() => citationText({} as never), InvalidArgumentError);
  });
});
