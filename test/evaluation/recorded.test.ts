import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  MODEL_EVAL_SCHEMA,
  modelEvalProvenance,
  modelEvalRow,
  readModelEval,
  readTrainingRecord,
  readTrainingRecordOrigin,
  summarizeShippedMethods,
  trainingCost,
  trainingStagesFor,
  type TrainingStage,
} from '../../src/evaluation/recorded.js';
import { provenanceLabel } from '../../src/plots/provenance.js';

// Compiled to .build/test/evaluation/: the repository root is three levels up.
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const isInvalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(field);

/** A valid row of a model-eval file (schema MODEL_EVAL_SCHEMA). */
function row(name: string, model: string, steps: number, guidance: number, frechet: number, unetEvaluations: number) {
  return {
    name,
    family: name.replace(/ \d+$/, ''),
    model,
    id: `model=models/${model};sampler=model;steps=${steps};guidance=${guidance}`,
    steps,
    guidance,
    unetEvaluations,
    images: 10,
    frechet,
    frechetInterval: { value: frechet, low: frechet - 1, high: frechet + 2, level: 0.95 },
    adherence: 0.9,
    adherenceInterval: { value: 0.9, low: 0.85, high: 0.95, level: 0.95 },
    allCorrect: 0.5,
    time: { medianMs: 10, q1Ms: 9, q3Ms: 12, iqrMs: 3, n: 9 },
    source: 'measured now',
    measuredAt: '2026-01-01T00:00:00Z',
  };
}

function evalFile(rows: unknown[]) {
  return {
    what: 'test',
    schema: MODEL_EVAL_SCHEMA,
    date: '2026-01-01T00:00:00Z',
    images: 10,
    level: 0.95,
    machine: { cpu: 'x', cores: 2, provider: 'cpu' },
    rows,
    speed: { lcm4EndToEndMs: 8, teacher50GuidedMs: 110, iqr: { lcm4EndToEndMs: 1, teacher50GuidedMs: 5 } },
  };
}

describe('the measured summary (notebook 07)', () => {
  const training: Record<string, TrainingStage> = {
    teacher: { steps: 100, batch: 64, minutes: 30 },
    lcm: { steps: 10, batch: 64, minutes: 8 },
    lora: { steps: 5, batch: 64, minutes: 3 },
    pd8: { steps: 2, batch: 64, minutes: 2 },
    pd4: { steps: 3, batch: 64, minutes: 2 },
    pd2: { steps: 4, batch: 64, minutes: 2 },
    pd1: { steps: 5, batch: 64, minutes: 2 },
  };

  test('a progressive-distillation student costs the whole chain of halvings down to its step count', () => {
    assert.deepEqual(trainingStagesFor('scenes-pd-4'), ['pd8', 'pd4']);
    assert.deepEqual(trainingStagesFor('scenes-pd-1'), ['pd8', 'pd4', 'pd2', 'pd1']);
    assert.deepEqual(trainingStagesFor('scenes-teacher'), []);
    assert.deepEqual(trainingStagesFor('.lcm-lora-fused'), ['lora']);
    assert.deepEqual(trainingCost(training, ['pd8', 'pd4']), { minutes: 4, examples: 5 * 64 });
    assert.throws(() => trainingStagesFor('scenes-pd-3'), isInvalid('model'));
    assert.throws(() => trainingCost(training, ['ae']), isInvalid('stages'));
  });

  test('a stage initialised from another costs both: the LCM student starts from teacher + LCM-LoRA (13.0 min, not 10.0)', () => {
    const withInit = { ...training, lcm: { ...training.lcm, initStages: ['lora'] } };
    assert.deepEqual(trainingCost(withInit, ['lcm']), { minutes: 8 + 3, examples: (10 + 5) * 64 });
    assert.deepEqual(
      trainingCost(withInit, ['lora', 'lcm']),
      { minutes: 11, examples: 15 * 64 },
      'a stage is counted once',
    );
    const cycle = {
      ...training,
      lcm: { ...training.lcm, initStages: ['lora'] },
      lora: { ...training.lora, initStages: ['lcm'] },
    };
    assert.throws(() => trainingCost(cycle, ['lcm']), isInvalid('stages'));
    // The shipped record: lcm 10.025... min + lora 3.004... min (models/scenes-training.json), whichever way the init is written.
    const shipped = readTrainingRecord(path.join(repoRoot, 'models', 'scenes-training.json'));
    assert.deepEqual(shipped.lcm.initStages, ['lora']);
    const lcm4 = summarizeShippedMethods(readModelEval(path.join(repoRoot, 'data', 'model-eval.json')), shipped).find(
      (r) => r.name === 'LCM 4',
    )!;
    assert.ok(
      Math.abs(lcm4.trainingMinutes - (10.025137654940288 + 3.0048417806625367)) < 1e-9,
      `${lcm4.trainingMinutes}`,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-train-'));
    writeFileSync(
      path.join(dir, 't.json'),
      JSON.stringify({
        lora: { steps: 1, batch: 2, minutes: 3 },
        lcm: { steps: 1, batch: 2, minutes: 10, init: 'teacher + LCM-LoRA merged (rank 8)' },
      }),
    );
    assert.deepEqual(
      readTrainingRecord(path.join(dir, 't.json')).lcm.initStages,
      ['lora'],
      'older records: read from the init text',
    );
    writeFileSync(
      path.join(dir, 'bad.json'),
      JSON.stringify({ lcm: { steps: 1, batch: 2, minutes: 10, init_stages: 'lora' } }),
    );
    assert.throws(() => readTrainingRecord(path.join(dir, 'bad.json')), isInvalid('lcm.init_stages'));
  });

  test('numbers read from data/ carry a recorded provenance: the date and machine of the file', () => {
    const evalFile = readModelEval(path.join(repoRoot, 'data', 'model-eval.json'));
    const p = modelEvalProvenance(evalFile);
    assert.equal(p.provenance, 'recorded');
    assert.equal(p.date, evalFile.date);
    assert.equal(p.machine, `${evalFile.machine.cpu}, ${evalFile.machine.cores} cores`);
    assert.match(
      provenanceLabel(p),
      new RegExp(
        `^recorded ${evalFile.date.slice(0, 10)} on ${evalFile.machine.cpu.replace(/[()]/g, '\\$&')}, ${evalFile.machine.cores} cores: data/model-eval\\.json`,
      ),
    );
    const origin = readTrainingRecordOrigin(path.join(repoRoot, 'models', 'scenes-training.json'));
    assert.match(provenanceLabel({ provenance: 'recorded', ...origin }), /^recorded 2026-11-26 on /);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-origin-'));
    writeFileSync(path.join(dir, 't.json'), JSON.stringify({ lcm: { steps: 1, batch: 2, minutes: 1 } }));
    assert.throws(() => readTrainingRecordOrigin(path.join(dir, 't.json')), isInvalid('recorded'));
  });

  test('Turbo has its own training stage, a Lightning student the chain down to it; unknown names are refused by name', () => {
    assert.deepEqual(trainingStagesFor('scenes-turbo'), ['turbo']);
    assert.deepEqual(trainingStagesFor('scenes-lightning-4'), ['lightning8', 'lightning4']);
    assert.deepEqual(trainingStagesFor('scenes-lightning-2'), ['lightning8', 'lightning4', 'lightning2']);
    assert.throws(() => trainingStagesFor('scenes-sdxl'), isInvalid('model'));
    assert.throws(() => trainingStagesFor(undefined as unknown as string), isInvalid('model'));
  });

  test('summarizeShippedMethods adds the recorded UNet evaluations and the training cost to every row', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-rec-'));
    writeFileSync(
      path.join(dir, 'eval.json'),
      JSON.stringify(
        evalFile([
          row('teacher DPM-Solver++ 25', 'scenes-teacher', 25, 3, 8, 50),
          row('LCM 4', 'scenes-lcm', 4, 3, 30, 4),
          row('PD 2', 'scenes-pd-2', 2, 0, 17, 2),
        ]),
      ),
    );
    const file = readModelEval(path.join(dir, 'eval.json'));
    assert.equal(modelEvalRow(file, 'LCM 4').frechet, 30);
    assert.equal(modelEvalRow(file, 'LCM 4').frechetInterval.high, 32);
    assert.throws(() => modelEvalRow(file, 'LCM 3'), isInvalid('name'));
    assert.deepEqual(
      summarizeShippedMethods(file, training).map((r) => [r.name, r.unetRows, r.trainingMinutes, r.trainingExamples]),
      [
        ['teacher DPM-Solver++ 25', 50, 0, 0],
        ['LCM 4', 4, 8, 640],
        ['PD 2', 2, 6, (2 + 3 + 4) * 64],
      ],
    );
  });

  test('readModelEval names the bad field of a model-eval file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-rec-bad-'));
    const good = row('LCM 4', 'scenes-lcm', 4, 3, 30, 4);
    const cases: Array<[string, unknown]> = [
      ['rows[0].frechet', evalFile([{ ...good, frechet: 'n/a' }])],
      [
        'rows[0].frechet',
        evalFile([{ ...good, frechet: -3, frechetInterval: { ...good.frechetInterval, value: -3 } }]),
      ],
      [
        'rows[0].frechetInterval.value',
        evalFile([{ ...good, frechetInterval: { ...good.frechetInterval, value: 31 } }]),
      ],
      ['rows[0].frechetInterval.low', evalFile([{ ...good, frechetInterval: { ...good.frechetInterval, low: 40 } }])],
      ['rows[0].adherenceInterval', evalFile([{ ...good, adherenceInterval: undefined }])],
      ['rows[0].adherence', evalFile([{ ...good, adherence: 1.5 }])],
      ['rows[0].time.medianMs', evalFile([{ ...good, time: { ...good.time, medianMs: 20 } }])],
      ['rows[0].time', evalFile([{ ...good, time: undefined }])],
      ['rows[0].images', evalFile([{ ...good, images: 11 }])],
      ['rows[0].source', evalFile([{ ...good, source: 'guessed' }])],
      ['rows[0].unetEvaluations', evalFile([{ ...good, unetEvaluations: 0 }])],
      ['machine.provider', { ...evalFile([good]), machine: { cpu: 'x', cores: 2 } }],
      ['schema', { ...evalFile([good]), schema: 1 }],
      ['date', { ...evalFile([good]), date: 'yesterday' }],
      ['rows', evalFile([])],
      ['speed.iqr', { ...evalFile([good]), speed: { lcm4EndToEndMs: 8, teacher50GuidedMs: 110 } }],
    ];
    cases.forEach(([field, data], i) => {
      const file = path.join(dir, `bad${i}.json`);
      writeFileSync(file, JSON.stringify(data));
      assert.throws(() => readModelEval(file), isInvalid(field), `case ${i} should name ${field}`);
    });
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify(evalFile([good])));
    assert.equal(readModelEval(path.join(dir, 'good.json')).rows.length, 1);
    writeFileSync(path.join(dir, 'notjson.json'), '{');
    assert.throws(() => readModelEval(path.join(dir, 'notjson.json')), isInvalid('file'));
    assert.throws(() => readModelEval(path.join(dir, 'missing.json')), isInvalid('file'));
    writeFileSync(path.join(dir, 'stage.json'), JSON.stringify({ lcm: { steps: 3, batch: 'b', minutes: 1 } }));
    assert.throws(() => readTrainingRecord(path.join(dir, 'stage.json')), isInvalid('lcm.batch'));
  });

  test('the shipped data/model-eval.json reads: every row has a training cost, the teacher baselines use trailing spacing, the leading default appears once', () => {
    const file = readModelEval(path.join(repoRoot, 'data', 'model-eval.json'));
    const summary = summarizeShippedMethods(
      file,
      readTrainingRecord(path.join(repoRoot, 'models', 'scenes-training.json')),
    );
    assert.ok(summary.length >= 5);
    assert.ok(summary.every((r) => r.unetRows >= r.steps && r.trainingMinutes >= 0));
    const teacher = file.rows.filter((r) => r.model === 'scenes-teacher');
    const leading = teacher.filter((r) => r.scheduler?.timestep_spacing === 'leading');
    assert.equal(leading.length, 1);
    assert.match(leading[0].name, /diffusers default/);
    for (const family of ['DDIM', 'DPM-Solver++'])
      for (const steps of [25, 8, 4]) {
        const r = teacher.find((x) => x.family === family && x.steps === steps);
        assert.ok(r, `teacher ${family} ${steps}`);
        assert.equal(r!.scheduler?.timestep_spacing, 'trailing');
      }
  });
});
