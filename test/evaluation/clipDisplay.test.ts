/**
 * Where CLIPScore is shown: the result text and hover, the recorded eval rows (reader checks), the
 * model-card rows table and eval:models' printed lines; "not measured" / "n/a" when a row has none.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { clipCheckLines, rowLine } from '../../src/cli/evalModels.js';
import { rowsTable } from '../../src/cli/modelCards.js';
import { clipScoreText, NO_CLIP_SCORE, qualityText, resultHover } from '../../src/evaluation/pareto.js';
import { readModelEval, type ModelEvalFile } from '../../src/evaluation/recorded.js';
import type { MethodResult } from '../../src/evaluation/result.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const cs = { value: 23.14, low: 22.41, high: 23.86, level: 0.95 };

/** The recorded file with CLIPScore taken off every row (the state before scenes-clip existed). */
function withoutClip(file: ModelEvalFile): ModelEvalFile {
  return {
    ...file,
    rows: file.rows.map(({ clipScore: _s, clipScoreInterval: _i, ...r }) => r),
  };
}

function withClip(file: ModelEvalFile, name: string): ModelEvalFile {
  return {
    ...file,
    rows: file.rows.map((r) => (r.name === name ? { ...r, clipScore: cs.value, clipScoreInterval: { ...cs } } : r)),
  };
}

describe('CLIPScore shown', () => {
  test('clipScoreText: one decimal with its interval, or that it was not measured', () => {
    assert.equal(clipScoreText(cs), '23.1 [22.4, 23.9]');
    assert.equal(clipScoreText(undefined), NO_CLIP_SCORE);
    assert.match(NO_CLIP_SCORE, /scenes-clip/);
  });

  test('qualityText and the hover name CLIPScore when the row has it, and only then', () => {
    const base: MethodResult = {
      method: { name: 'LCM 4', family: 'LCM', dir: 'x', steps: 4, guidance: 1 },
      id: 'x',
      quality: { images: 8, frechet: { value: 3, low: 2, high: 4, level: 0.95 } },
      provenance: {},
    };
    assert.doesNotMatch(qualityText(base), /CLIPScore/);
    const r = { ...base, quality: { ...base.quality!, clipScore: cs } };
    assert.match(qualityText(r), /CLIPScore 23\.1 \[22\.4, 23\.9\]/);
    assert.match(resultHover(r), /CLIPScore 23\.1/);
  });

  test('recorded rows: clipScore is read with its interval; one without the other names the field', () => {
    const file = readModelEval(path.join(repo, 'data', 'model-eval.json'));
    const name = file.rows[0].name;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-clip-eval-'));
    try {
      const p = path.join(dir, 'model-eval.json');
      fs.writeFileSync(p, JSON.stringify(withClip(file, name)));
      assert.deepEqual(readModelEval(p).rows[0].clipScoreInterval, cs);
      const bad = withClip(file, name);
      delete bad.rows[0].clipScoreInterval;
      fs.writeFileSync(p, JSON.stringify(bad));
      assert.throws(
        () => readModelEval(p),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'rows[0].clipScoreInterval',
      );
      const over = withClip(file, name);
      over.rows[0].clipScore = 120;
      fs.writeFileSync(p, JSON.stringify(over));
      assert.throws(
        () => readModelEval(p),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'rows[0].clipScore',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('model-card rows table: a CLIPScore column when the rows have it ("n/a" for a row without), none otherwise', () => {
    const file = withoutClip(readModelEval(path.join(repo, 'data', 'model-eval.json')));
    const [a, b] = file.rows.map((r) => r.name);
    const plain = rowsTable(file, [a, b]);
    assert.doesNotMatch(plain, /CLIPScore/);
    const t = rowsTable(withClip(file, a), [a, b]).split('\n');
    assert.match(t[0], /\| CLIPScore \[95% CI\] \|/);
    assert.equal(t[0].split('|').length, t[1].split('|').length, 'header and rule have as many cells');
    assert.ok(t[2].includes('| 23.1 [22.4, 23.9] |'), t[2]);
    assert.ok(t[3].includes('| n/a (no scenes-clip) |'), t[3]);
    assert.equal(t[2].split('|').length, t[0].split('|').length);
  });

  test("eval:models' printed lines: CLIPScore with its interval or n/a; the clip checks against chance", () => {
    const file = withoutClip(readModelEval(path.join(repo, 'data', 'model-eval.json')));
    const row = file.rows[0];
    assert.match(rowLine(row), /CLIPScore n\/a/);
    assert.match(rowLine({ ...row, clipScore: cs.value, clipScoreInterval: cs }), /CLIPScore 23\.1 \[22\.4, 23\.9\]/);
    const acc = { accuracy: { value: 0.5, low: 0.4, high: 0.6, level: 0.95 }, chance: 0.25, values: 4 };
    const lines = clipCheckLines({
      n: 10,
      seed: 3_000_000,
      ownCaptions: cs,
      shuffledCaptions: { value: 15, low: 14, high: 16, level: 0.95 },
      ownMinusShuffled: { value: 8.14, low: 7, high: 9, level: 0.95 },
      zeroShot: { timeOfDay: acc, terrain: acc, palette: acc, style: { ...acc, chance: 0.5, values: 2 } },
    });
    assert.match(lines[0], /own captions 23\.1 \[22\.4, 23\.9\], with shuffled captions 15\.0 \[14\.0, 16\.0\]/);
    assert.match(
      lines[1],
      /timeOfDay 50\.0% \[40\.0, 60\.0\] \(chance 25\.0%\).*style 50\.0% \[40\.0, 60\.0\] \(chance 50\.0%\)/,
    );
  });
});
