import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  KEY_TECHNIQUES,
  keyTechniquesTable,
  techniqueCitationText,
  techniqueStepsText,
  validateTechnique,
  type KeyTechnique,
} from '../../src/course/techniques.js';
import { tableBundle } from '../../src/plots/bundle.js';
import { readPublishedResults } from '../../src/published/index.js';

const throwsField = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    `expected InvalidArgumentError naming ${field}`,
  );
const copy = (t: KeyTechnique): KeyTechnique => JSON.parse(JSON.stringify(t)) as KeyTechnique;

describe('KEY_TECHNIQUES', () => {
  test('names the nine techniques the course teaches', () => {
    assert.deepEqual(
      KEY_TECHNIQUES.map((t) => t.id),
      [
        'ddpm',
        'ddim',
        'dpm-solver-pp',
        'progressive-distillation',
        'consistency-models',
        'lcm',
        'lcm-lora',
        'turbo-add',
        'lightning',
      ],
    );
  });

  test('every entry is valid: one-sentence explanation, steps 1 <= min <= typical <= max, a citation with year and arXiv id', () => {
    for (const t of KEY_TECHNIQUES) {
      validateTechnique(t, t.id);
      assert.ok(t.citations.length > 0, t.id);
      assert.equal(t.howItWorks.split(/[.!?]\s+[A-Z]/).length, 1, `${t.id}: one sentence`);
    }
  });

  test('the samplers need many more steps than the distilled models (the course trade-off)', () => {
    const samplers = KEY_TECHNIQUES.filter((t) => t.kind === 'sampler');
    const distilled = KEY_TECHNIQUES.filter((t) => t.kind === 'distillation');
    assert.deepEqual(
      samplers.map((t) => t.id),
      ['ddpm', 'ddim', 'dpm-solver-pp'],
    );
    const fewestSampler = Math.min(...samplers.map((t) => t.steps.typical));
    for (const t of distilled) assert.ok(t.steps.typical < fewestSampler, t.id);
    assert.ok(distilled.every((t) => t.steps.min === 1 || t.id === 'lcm-lora'));
  });

  test('arXiv ids agree with the citations of data/published-results.json where a paper is in both', () => {
    const published = readPublishedResults();
    const byArxiv = new Map<string, string>();
    for (const r of published.rows) if (r.citation.arxiv) byArxiv.set(r.citation.arxiv, r.paper);
    let shared = 0;
    for (const t of KEY_TECHNIQUES)
      for (const c of t.citations) {
        const paper = byArxiv.get(c.arxiv);
        if (paper === undefined) continue;
        shared++;
        assert.equal(paper.toLowerCase(), c.title.toLowerCase(), `${t.id}: ${c.arxiv}`);
      }
    assert.ok(shared >= 5, `DDIM, PD, CM, LCM and ADD are in both (found ${shared})`);
  });
});

describe('validateTechnique', () => {
  const base = KEY_TECHNIQUES[1];
  test('refuses steps out of order, non-integer or zero, naming the field', () => {
    for (const steps of [
      { min: 4, max: 2, typical: 3 },
      { min: 1, max: 4, typical: 8 },
      { min: 0, max: 4, typical: 2 },
      { min: 1.5, max: 4, typical: 2 },
    ]) {
      throwsField(() => validateTechnique({ ...copy(base), steps }, 't'), 't.steps');
    }
  });
  test('refuses a missing citation, a bad year, a bad arXiv id, a year before the arXiv submission', () => {
    throwsField(() => validateTechnique({ ...copy(base), citations: [] }, 't'), 't.citations');
    const c = base.citations[0];
    throwsField(
      () => validateTechnique({ ...copy(base), citations: [{ ...c, year: 1999 }] }, 't'),
      't.citations[0].year',
    );
    throwsField(
      () => validateTechnique({ ...copy(base), citations: [{ ...c, arxiv: '2010.025' }] }, 't'),
      't.citations[0].arxiv',
    );
    throwsField(
      () => validateTechnique({ ...copy(base), citations: [{ ...c, year: 2019 }] }, 't'),
      't.citations[0].year',
    );
  });
  test('refuses an empty explanation and an unknown kind', () => {
    throwsField(() => validateTechnique({ ...copy(base), howItWorks: ' ' }, 't'), 't.howItWorks');
    throwsField(() => validateTechnique({ ...copy(base), kind: 'solver' as 'sampler' }, 't'), 't.kind');
  });
});

describe('keyTechniquesTable', () => {
  test('one row per technique, most typical steps first, with steps and paper text', () => {
    const table = keyTechniquesTable();
    assert.equal(table.rows.length, KEY_TECHNIQUES.length);
    assert.deepEqual(table.columns, ['technique', 'kind', 'steps', 'how it works', 'paper']);
    assert.equal(table.rows[0].technique, 'DDPM');
    assert.equal(table.rows[0].steps, '250-1000 (1000 typical)');
    assert.equal(table.rows[0].paper, 'Ho, Jain, Abbeel, NeurIPS 2020, arXiv 2006.11239');
    const typical = table.rows.map((r) => Number(/\((\d+) typical\)/.exec(r.steps)?.[1]));
    for (let i = 1; i < typical.length; i++) assert.ok(typical[i] <= typical[i - 1], `row ${i} sorted`);
    assert.ok(table.rows.find((r) => r.technique === 'Turbo (ADD)')?.paper.includes('2023, arXiv 2311.17042'));
  });

  test("is labelled 'published' with the papers as source, and tableBundle accepts it", () => {
    const table = keyTechniquesTable();
    assert.equal(table.options.provenance, 'published');
    for (const author of ['Ho 2020', 'Salimans 2022', 'Song 2023', 'Sauer 2023', 'Lin 2024'])
      assert.ok(table.options.source?.includes(author), author);
    const bundle = tableBundle(table.rows, table.columns, table.options);
    assert.match(String(bundle.data['text/html']), /data-provenance="published"/);
    assert.match(String(bundle.data['text/plain']), /^\[published: the papers/);
  });

  test('refuses an empty list, a malformed entry (naming it) and duplicate ids', () => {
    throwsField(() => keyTechniquesTable([]), 'techniques');
    throwsField(
      () => keyTechniquesTable([KEY_TECHNIQUES[0], { ...copy(KEY_TECHNIQUES[1]), name: '' }]),
      'techniques[1].name',
    );
    throwsField(() => keyTechniquesTable([KEY_TECHNIQUES[0], KEY_TECHNIQUES[0]]), 'techniques');
  });

  test('formats citations and steps', () => {
    assert.equal(techniqueStepsText({ steps: { min: 1, max: 1, typical: 1 } }), '1 (1 typical)');
    assert.equal(
      techniqueCitationText({ authors: 'A, B', title: 'T', venue: 'arXiv preprint', year: 2024, arxiv: '2402.13929' }),
      'A, B, 2024, arXiv 2402.13929',
    );
  });
});
