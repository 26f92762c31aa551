import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { coursePlan, COURSE_PROMPT } from '../../src/course/plan.js';
import { DPM_SOLVER_PP_TRAILING } from '../../src/evaluation/method.js';
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
      [1, 8].map((s) => plan.methodFor(s).name),
      ['LCM', 'LCM'],
    );
    const m15 = plan.methodFor(15);
    assert.equal(m15.name, 'DPM-Solver++');
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
    assert.equal(plan.methodFor(25).name, 'Turbo');
    assert.equal(plan.methodFor(25).guidance, 0);
  });

  test('an SD-only model samples few steps with the teacher too', () => {
    const plan = coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd' }, root });
    assert.equal(plan.fewStep, undefined);
    assert.equal(plan.methodFor(2).name, 'DPM-Solver++');
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
