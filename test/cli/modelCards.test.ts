import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { modelCards, renderModelCards, type CardData } from '../../src/cli/modelCards.js';
import { readModelEval } from '../../src/evaluation/recorded.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const isInvalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(field);

describe('model cards', () => {
  test('the committed cards are what models/recipes/card-template.md gives (npm run model-cards)', () => {
    const cards = modelCards(path.join(repo, 'models'), path.join(repo, 'data', 'model-eval.json'));
    assert.ok(cards.size >= 8, `cards: ${[...cards.keys()].join(', ')}`);
    for (const [folder, text] of cards) {
      const committed = fs.readFileSync(path.join(repo, 'models', folder, 'README.md'), 'utf8');
      assert.equal(committed, text, `models/${folder}/README.md differs from the template: run npm run model-cards`);
    }
  });

  test('placeholders are filled from the records; a card per value; a placeholder that names nothing is an error', () => {
    const data: CardData = {
      training: { lcm: { steps: 735, minutes: 10.025 }, pd2: { steps: 3 }, pd1: { steps: 4 } },
      eval: readModelEval(path.join(repo, 'data', 'model-eval.json')),
    };
    const template = [
      '<!-- header -->',
      '<!-- define note -->',
      'steps {{training.lcm.steps}}',
      '<!-- end -->',
      '<!-- card a -->',
      '# a',
      '{{> note}}, {{training.lcm.minutes | f1}} min, recorded {{eval.date | day}}',
      '<!-- card pd-{n} n=2,1 -->',
      'pd {n}: {{training.pd{n}.steps}}',
      '',
    ].join('\n');
    const cards = renderModelCards(template, data);
    assert.deepEqual([...cards.keys()], ['a', 'pd-2', 'pd-1']);
    assert.equal(cards.get('a'), `# a\nsteps 735, 10.0 min, recorded ${data.eval.date.slice(0, 10)}\n`);
    assert.equal(cards.get('pd-2'), 'pd 2: 3\n');
    assert.equal(cards.get('pd-1'), 'pd 1: 4\n');
    assert.throws(
      () => renderModelCards('<!-- card a -->\n{{training.lcm.stepz}}\n', data),
      isInvalid('training.lcm.stepz'),
    );
    assert.throws(() => renderModelCards('<!-- card a -->\n{{rows: LCM 3}}\n', data), isInvalid('name'));
    assert.throws(() => renderModelCards('<!-- card a -->\n{{training.lcm.steps | f9}}\n', data), isInvalid('f9'));
    assert.throws(() => renderModelCards('<!-- card a -->\n{{> nothing}}\n', data), isInvalid('nothing'));
    assert.throws(() => renderModelCards('no cards here\n', data), isInvalid('template'));
  });

  test('a rows table shows FD and adherence with their intervals and the time with its IQR', () => {
    const data: CardData = { training: {}, eval: readModelEval(path.join(repo, 'data', 'model-eval.json')) };
    const table = renderModelCards('<!-- card a -->\n{{rows: LCM 4}}\n', data).get('a')!;
    const r = data.eval.rows.find((x) => x.name === 'LCM 4')!;
    const line = table.split('\n')[2];
    assert.ok(line.startsWith('| LCM 4 | 4 |'), line);
    assert.ok(
      line.includes(
        `${r.frechet.toFixed(2)} [${r.frechetInterval.low.toFixed(2)}, ${r.frechetInterval.high.toFixed(2)}]`,
      ),
      line,
    );
    assert.ok(line.includes(`${r.time.medianMs.toFixed(2)} (${r.time.iqrMs.toFixed(2)})`), line);
  });
});
