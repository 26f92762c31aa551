import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { coursePlan } from '../../src/course/plan.js';
import { methodId, validateMethod, type Method } from '../../src/evaluation/method.js';
import { resultParetoChart, resultPoints } from '../../src/evaluation/pareto.js';
import type { MethodResult } from '../../src/evaluation/result.js';
import { DEFAULT_SWEEP, planMethods, referenceMethod, sweepOnly } from '../../src/evaluation/sweep.js';
import { unetEvaluationsPerStep, orchestrationOverhead } from '../../src/onnx/pipeline.js';

const root = path.resolve(__dirname, '..', '..', '..');
const fixturePlan = () =>
  coursePlan({
    env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm' },
    root,
  });

describe('Method', () => {
  const m: Method = {
    name: 'DDIM 4',
    family: 'DDIM',
    dir: path.join(root, 'models', 'scenes-teacher'),
    steps: 4,
    guidance: 3,
    scheduler: { timestep_spacing: 'trailing', _class_name: 'DDIMScheduler' },
  };
  test('the id names the model folder, the sampler with its spacing, steps and guidance, independent of key order', () => {
    assert.equal(
      methodId(m),
      'model=models/scenes-teacher;sampler={"_class_name":"DDIMScheduler","timestep_spacing":"trailing"};steps=4;guidance=3',
    );
    assert.equal(
      methodId({ ...m, scheduler: { _class_name: 'DDIMScheduler', timestep_spacing: 'trailing' } }),
      methodId(m),
    );
    assert.notEqual(
      methodId({ ...m, scheduler: { _class_name: 'DDIMScheduler', timestep_spacing: 'leading' } }),
      methodId(m),
    );
    assert.match(methodId({ ...m, size: 96, batch: 4 }), /;size=96;batch=4$/);
  });
  for (const [field, over] of [
    ['method.name', { name: '' }],
    ['method.steps', { steps: 2.5 }],
    ['method.guidance', { guidance: -1 }],
    ['method.size', { size: 3 }],
  ] as const) {
    test(`rejects a bad ${field} naming the field`, () => {
      assert.throws(
        () => validateMethod({ ...m, ...over } as Method),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      );
    });
  }
});

describe('planMethods', () => {
  test('teacher DDIM and DPM-Solver++ use trailing spacing; LCM, LCM-LoRA and PD their own settings; a many-step DPM-Solver++ point', () => {
    const ms = planMethods(coursePlan({ env: {}, root }), { lcmLoraDir: '/tmp/fused' });
    assert.deepEqual(
      [...new Set(ms.map((s) => s.family))],
      ['DDIM', 'DPM-Solver++', 'LCM', 'LCM-LoRA', 'PD', 'Turbo', 'Lightning'],
    );
    for (const s of ms.filter((x) => x.family === 'DDIM' || x.family === 'DPM-Solver++')) {
      assert.equal(path.basename(s.dir), 'scenes-teacher');
      assert.equal(s.guidance, 3);
      assert.equal(s.scheduler?.timestep_spacing, 'trailing', s.name);
    }
    assert.ok(ms.some((s) => s.name === 'DPM-Solver++ 25'));
    const pd = ms.filter((s) => s.family === 'PD');
    assert.deepEqual(
      pd.map((s) => [s.steps, path.basename(s.dir), s.guidance]),
      [
        [1, 'scenes-pd-1', 0],
        [2, 'scenes-pd-2', 0],
        [4, 'scenes-pd-4', 0],
        [8, 'scenes-pd-8', 0],
      ],
    );
    assert.equal(new Set(ms.map((s) => s.name)).size, ms.length, 'names are unique');
  });
  test('the leading-spacing DDIM appears only when asked for, labelled as the diffusers default', () => {
    const plan = coursePlan({ env: {}, root });
    assert.ok(!planMethods(plan).some((m) => m.scheduler?.timestep_spacing === 'leading'));
    const lead = planMethods(plan, {
      ddim: [],
      dpmSolver: [],
      fewStep: [],
      lcmLora: [],
      progressive: [],
      lightning: [],
      turbo: [],
      ddimLeading: [4],
    });
    assert.deepEqual(
      lead.map((m) => [m.name, m.family, m.scheduler?.timestep_spacing]),
      [['DDIM 4 (leading)', 'DDIM, diffusers default spacing', 'leading']],
    );
  });
  test('on the fixture plan: no LoRA or PD; the PSNR reference is the 50-step trailing DDIM', () => {
    const plan = fixturePlan();
    assert.deepEqual([...new Set(planMethods(plan).map((s) => s.family))], ['DDIM', 'DPM-Solver++', 'LCM']);
    const ref = referenceMethod(plan);
    assert.equal(ref.steps, 50);
    assert.equal(ref.scheduler?.timestep_spacing, 'trailing');
  });
  test('sweepOnly: the named families only, every other family of the default sweep empty', () => {
    const choice = sweepOnly({ ddim: [4], lcmLoraDir: '/tmp/fused' });
    assert.deepEqual(Object.keys(choice).sort(), [...Object.keys(DEFAULT_SWEEP), 'lcmLoraDir'].sort());
    for (const k of Object.keys(DEFAULT_SWEEP) as (keyof typeof DEFAULT_SWEEP)[])
      assert.deepEqual(choice[k], k === 'ddim' ? [4] : [], k);
    const plan = coursePlan({ env: {}, root });
    assert.deepEqual(
      planMethods(plan, sweepOnly({ ddim: [4], progressive: [2] })).map((m) => m.name),
      ['DDIM 4', 'PD 2'],
      'Turbo, Lightning and the others stay out on the shipped plan',
    );
  });

  test('rejects step counts that are not integers from 1 to 1000, naming the family', () => {
    assert.throws(
      () => planMethods(fixturePlan(), { ddim: [0] }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'choice.ddim[0]',
    );
  });
});

describe('one UNet-evaluation rule and one overhead definition', () => {
  test('guidance doubles UNet evaluations for SD and Turbo above 1, never for LCM', () => {
    assert.equal(unetEvaluationsPerStep('sd', 3), 2);
    assert.equal(unetEvaluationsPerStep('sd', 1), 1);
    assert.equal(unetEvaluationsPerStep('turbo', 0), 1);
    assert.equal(unetEvaluationsPerStep('lcm', 8), 1);
    assert.throws(() => unetEvaluationsPerStep('sd', -1), InvalidArgumentError);
  });
  test('overhead = (wall - session.run - png) / wall', () => {
    assert.deepEqual(orchestrationOverhead({ totalMs: 10, sessionRunMs: 6, pngMs: 2 }), { ms: 2, fraction: 0.2 });
    assert.deepEqual(orchestrationOverhead({ totalMs: 10, sessionRunMs: 6, pngMs: 2 }, 20), { ms: 12, fraction: 0.6 });
  });
});

describe('resultPoints and resultParetoChart', () => {
  const fake = (name: string, ms: number, fd?: number): MethodResult => ({
    method: { name, family: name.split(' ')[0], dir: '/x', steps: Number(name.split(' ')[1]), guidance: 3 },
    id: name,
    time: { medianMs: ms, q1Ms: ms - 0.1, q3Ms: ms + 0.2, iqrMs: 0.3, n: 9 },
    quality:
      fd === undefined
        ? undefined
        : {
            images: 200,
            frechet: { value: fd, low: fd - 1, high: fd + 2, level: 0.95 },
            adherence: { value: 0.9, low: 0.85, high: 0.95, level: 0.95 },
          },
    provenance: {},
  });
  const rs = [fake('LCM 1', 1, 30), fake('PD 2', 2, 10), fake('DDIM 4', 3, 20), fake('DDIM 25', 10, 8), fake('X 1', 5)];
  test('FD becomes quality -FD; results without the metric are left out', () => {
    assert.deepEqual(
      resultPoints(rs, 'frechet').map((p) => [p.cost, p.quality]),
      [
        [1, -30],
        [2, -10],
        [3, -20],
        [10, -8],
      ],
    );
    assert.deepEqual(resultPoints(rs, 'psnr'), []);
  });
  test('the front by ascending time, the knee worked out by hand (Kneedle: PD 2), and error bars from the intervals and IQRs', () => {
    const { figure, front, knee } = resultParetoChart(resultPoints(rs, 'frechet'), {
      title: 'Pareto',
      metric: 'frechet',
      source: 'test',
    });
    assert.deepEqual(
      front.map((p) => p.result.method.name),
      ['LCM 1', 'PD 2', 'DDIM 25'],
    );
    assert.equal(knee.result.method.name, 'PD 2');
    const all = figure.data[0] as {
      error_y: { array: number[]; arrayminus: number[] };
      error_x: { array: number[]; arrayminus: number[] };
    };
    assert.deepEqual(all.error_y.array, [2, 2, 2, 2]);
    assert.deepEqual(all.error_y.arrayminus, [1, 1, 1, 1]);
    assert.ok(
      all.error_x.array.every((v) => Math.abs(v - 0.2) < 1e-12) &&
        all.error_x.arrayminus.every((v) => Math.abs(v - 0.1) < 1e-12),
    );
    const frontTrace = figure.data[1] as { customdata: string[] };
    assert.match(frontTrace.customdata[1], /PD, 2 steps.*time 2\.00 ms.*FD 10\.00 \[9\.00, 12\.00\]/);
  });
});
