import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { coursePlan, COURSE_PROMPT } from '../../src/course/plan.js';
import { DPM_SOLVER_PP_TRAILING, methodId } from '../../src/evaluation/method.js';
import { planMethods, sweepOnly } from '../../src/evaluation/sweep.js';
import { paretoImages, paretoMethods, PARETO_MEASUREMENT, PARETO_SWEEP } from '../../src/course/paretoSweep.js';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';

const root = path.resolve(__dirname, '..', '..', '..');

describe('coursePlan', () => {
  test('with nothing set, runs the shipped family: teacher, LCM, LoRA, PD students 1-8, evaluator, with the guidance each model_index.json gives', () => {
    const plan = coursePlan({ env: {}, root });
    assert.equal(plan.shipped, true);
    assert.equal(plan.fixture, false);
    assert.equal(path.basename(plan.teacher!.dir), 'scenes-teacher');
    assert.equal(path.basename(plan.fewStep!.dir), 'scenes-lcm');
    assert.equal(plan.fewStep!.family, 'lcm');
    assert.deepEqual(plan.teacher!.defaults, { steps: 25, guidance: 3 });
    assert.deepEqual(
      plan.fewStep!.defaults,
      { steps: 4, guidance: 4 },
      'the LCM default guidance, picked on validation prompts (models/scenes-lcm/README.md)',
    );
    assert.deepEqual(
      plan.progressive.map((p) => p.steps),
      [1, 2, 4, 8],
    );
    assert.ok(plan.lcmLora!.endsWith(path.join('scenes-lcm-lora', 'lora.safetensors')));
    assert.ok(plan.evaluator);
    assert.equal(plan.prompt, COURSE_PROMPT);
    assert.deepEqual(plan.stepCounts, [1, 2, 4, 8, 15, 25, 50]);
  });

  test('samples with LCM at 8 steps or fewer and with the teacher and DPM-Solver++ above, as the course does', () => {
    const plan = coursePlan({ env: {}, root });
    assert.deepEqual(
      [1, 8].map((s) => [plan.methodFor(s).name, plan.methodFor(s).family, plan.methodFor(s).steps]),
      [
        ['LCM 1', 'LCM', 1],
        ['LCM 8', 'LCM', 8],
      ],
    );
    assert.equal(path.basename(plan.methodFor(8).dir), 'scenes-lcm');
    assert.equal(plan.methodFor(8).scheduler, undefined, 'LCM keeps its own scheduler');
    assert.equal(plan.methodFor(8).guidance, 4);
    const m15 = plan.methodFor(15);
    assert.equal(m15.name, 'DPM-Solver++ 15');
    assert.equal(m15.family, 'DPM-Solver++');
    assert.equal(m15.steps, 15);
    assert.equal(path.basename(m15.dir), 'scenes-teacher');
    assert.deepEqual(m15.scheduler, DPM_SOLVER_PP_TRAILING);
    assert.equal(m15.guidance, 3);
    assert.throws(
      () => plan.methodFor(0),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'steps',
    );
    assert.throws(() => plan.methodFor(2.5), InvalidArgumentError);
  });

  test('FEWSTEP_MODEL and FEWSTEP_LCM_MODEL switch to other models (the fixtures), relative to the repository root; no PD students or evaluator then', () => {
    const plan = coursePlan({
      env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm' },
      root,
    });
    assert.equal(plan.shipped, false);
    assert.equal(plan.fixture, true);
    assert.equal(plan.main.family, 'sd');
    assert.deepEqual(plan.teacher!.defaults, { steps: 25, guidance: 7.5 });
    assert.equal(plan.fewStep!.family, 'lcm');
    assert.deepEqual(plan.progressive, []);
    assert.equal(plan.evaluator, undefined);
    assert.equal(plan.lcmLora, undefined);
    assert.match(plan.describe(), /TEST FIXTURE/);
    assert.match(plan.describe(), /PSNR\/SSIM against the 50-step reference only/);
  });

  test('a Turbo model alone samples every step count itself and sweeps 1-8 steps', () => {
    const plan = coursePlan({ env: { FEWSTEP_MODEL: 'tiny-turbo' }, root });
    assert.equal(plan.teacher, undefined);
    assert.equal(plan.fewStep!.family, 'turbo');
    assert.deepEqual(plan.stepCounts, [1, 2, 4, 8]);
    assert.equal(plan.methodFor(25).name, 'Turbo 25');
    assert.equal(plan.methodFor(25).family, 'Turbo');
    assert.equal(plan.methodFor(25).guidance, 0);
  });

  test('an SD-only model samples few steps with the teacher too', () => {
    const plan = coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd' }, root });
    assert.equal(plan.fewStep, undefined);
    assert.equal(plan.methodFor(2).name, 'DPM-Solver++ 2');
    assert.deepEqual(plan.methodFor(2).scheduler, DPM_SOLVER_PP_TRAILING);
  });

  test('bad settings throw naming the variable', () => {
    assert.throws(() => coursePlan({ env: { FEWSTEP_MODEL: 'models/no-such-model' }, root }), MissingResourceError);
    assert.throws(
      () =>
        coursePlan({
          env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-sd' },
          root,
        }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'FEWSTEP_LCM_MODEL',
    );
    assert.throws(
      () =>
        coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_LORA: 'nope.safetensors' }, root }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'FEWSTEP_LCM_LORA',
    );
  });
});

describe('CoursePlan.sweep', () => {
  test('the shipped plan sweeps two lines, LCM then the teacher with DPM-Solver++, each at every step count', () => {
    const plan = coursePlan({ env: {}, root });
    const sweep = plan.sweep();
    assert.equal(sweep.length, 14);
    assert.deepEqual(
      sweep.slice(0, 7).map((m) => m.name),
      ['LCM 1', 'LCM 2', 'LCM 4', 'LCM 8', 'LCM 15', 'LCM 25', 'LCM 50'],
    );
    assert.deepEqual(
      sweep.slice(7).map((m) => [m.family, m.steps]),
      plan.stepCounts.map((s) => ['DPM-Solver++', s]),
    );
    // Where a line is the plan's choice, it is the very Method methodFor gives (same id).
    for (const s of plan.stepCounts) assert.ok(sweep.some((m) => methodId(m) === methodId(plan.methodFor(s))));
    assert.deepEqual(
      plan.sweep([4, 25]).map((m) => m.name),
      ['LCM 4', 'LCM 25', 'DPM-Solver++ 4', 'DPM-Solver++ 25'],
    );
    assert.throws(
      () => plan.sweep([4, 0]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'steps[1]',
    );
  });

  test('the fixture plan sweeps the same two lines on the fixture models; a one-model plan sweeps one', () => {
    const fixture = coursePlan({
      env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm' },
      root,
    }).sweep([1, 50]);
    assert.deepEqual(
      fixture.map((m) => [m.name, path.basename(m.dir)]),
      [
        ['LCM 1', 'tiny-lcm'],
        ['LCM 50', 'tiny-lcm'],
        ['DPM-Solver++ 1', 'tiny-sd'],
        ['DPM-Solver++ 50', 'tiny-sd'],
      ],
    );
    const teacherOnly = coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd' }, root }).sweep([1, 50]);
    assert.deepEqual(
      teacherOnly.map((m) => m.name),
      ['DPM-Solver++ 1', 'DPM-Solver++ 50'],
    );
  });

  test('methodFor gives the same Method ids as planMethods (notebooks 03, 05 and 07 share cached rows)', () => {
    const plan = coursePlan({ env: {}, root });
    const planned = planMethods(plan, sweepOnly({ dpmSolver: [4, 25], fewStep: [1, 4] }));
    assert.deepEqual(
      planned.map(methodId).sort(),
      [plan.sweep([4, 25])[2], plan.methodFor(25), plan.methodFor(1), plan.methodFor(4)].map(methodId).sort(),
    );
  });
});

describe('paretoMethods', () => {
  test('the shipped plan: every PARETO_SWEEP family at its step counts, LCM-LoRA in one fixed fused folder, 200 images', () => {
    const plan = coursePlan({ env: {}, root });
    const methods = paretoMethods(plan);
    const expected =
      PARETO_SWEEP.ddim.length +
      PARETO_SWEEP.dpmSolver.length +
      PARETO_SWEEP.fewStep.length +
      PARETO_SWEEP.lcmLora.length +
      PARETO_SWEEP.progressive.length +
      PARETO_SWEEP.turbo.length +
      PARETO_SWEEP.lightning.length +
      PARETO_SWEEP.ddimLeading.length;
    assert.equal(methods.length, expected);
    assert.deepEqual(
      methods.map((m) => m.name),
      [
        'DDIM 4',
        'DDIM 8',
        'DDIM 25',
        'DPM-Solver++ 4',
        'DPM-Solver++ 15',
        'DDIM 4 (leading)',
        'LCM 1',
        'LCM 2',
        'LCM 4',
        'LCM-LoRA 2',
        'LCM-LoRA 4',
        'PD 1',
        'PD 2',
        'PD 4',
        'PD 8',
        'Turbo 1',
        'Turbo 2',
        'Turbo 4',
        'Lightning 1',
        'Lightning 2',
        'Lightning 4',
      ],
    );
    assert.deepEqual(paretoMethods(plan).map(methodId), methods.map(methodId), 'stable ids');
    assert.ok(
      methods.filter((m) => m.family === 'LCM-LoRA').every((m) => m.dir.endsWith(path.join('out', 'nb05-lcm-lora'))),
    );
    assert.equal(paretoImages(plan), 200);
    // The plan's own 4-step choice is one of the sweep's rows.
    assert.ok(methods.some((m) => methodId(m) === methodId(plan.methodFor(4))));
  });

  test('the fixture plan has no LoRA, students or evaluator: fewer rows and the PSNR image count', () => {
    const plan = coursePlan({
      env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm' },
      root,
    });
    assert.deepEqual(
      [...new Set(paretoMethods(plan).map((m) => m.family))],
      ['DDIM', 'DPM-Solver++', 'DDIM, diffusers default spacing', 'LCM'],
    );
    assert.equal(paretoImages(plan), 6);
    assert.throws(
      () => paretoMethods(null as never),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'plan',
    );
  });
});

describe('PARETO_MEASUREMENT', () => {
  test("matches the settings notebook 05 measures with (notebook 07 reads nb05's cache entries by these keys)", () => {
    const nb05 = readFileSync(path.join(root, 'scripts', 'notebooks', '05-pareto-analysis.nb.txt'), 'utf8');
    assert.match(nb05, /fs\.paretoMethods\(plan\)/);
    assert.match(nb05, /fs\.paretoImages\(plan\)/);
    assert.match(nb05, new RegExp(`ev\\.evaluate\\(m, \\{ keepSamples: ${PARETO_MEASUREMENT.keepSamples} \\}\\)`));
    assert.match(
      nb05,
      new RegExp(
        `ev\\.time\\(methods, \\{ rounds: ${PARETO_MEASUREMENT.rounds}, warmupRounds: ${PARETO_MEASUREMENT.warmupRounds} \\}\\)`,
      ),
    );
  });
});
