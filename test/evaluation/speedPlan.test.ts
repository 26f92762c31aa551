import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { coursePlan } from '../../src/course/plan.js';
import { courseSpeedMethod, fewStepMethod, manyStepMethod } from '../../src/evaluation/speedPlan.js';
import { methodId, DPM_SOLVER_PP_TRAILING } from '../../src/evaluation/method.js';

// Compiled to .build/test/evaluation/: the repository root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');

describe('speed methods of a course plan', () => {
  const plan = coursePlan({ env: {}, root });

  test("the course's rule is plan.methodFor's: same ids, LCM at <= 8 steps, the teacher with DPM-Solver++ above", () => {
    for (const steps of [1, 4, 8, 15, 50])
      assert.equal(methodId(courseSpeedMethod(plan, steps)), methodId(plan.methodFor(steps)));
    assert.equal(courseSpeedMethod(plan, 4).family, 'LCM');
    const many = courseSpeedMethod(plan, 25);
    assert.equal(many.family, 'DPM-Solver++');
    assert.deepEqual(many.scheduler, { ...DPM_SOLVER_PP_TRAILING });
  });

  test('a size or batch variant is part of the id and the name; the base method is unchanged', () => {
    const m = courseSpeedMethod(plan, 4, { size: 96, batch: 4 });
    assert.equal(m.size, 96);
    assert.equal(m.batch, 4);
    assert.equal(m.name, 'LCM 4 @ 96 px x4');
    assert.notEqual(methodId(m), methodId(plan.methodFor(4)));
    assert.equal(plan.methodFor(4).size, undefined);
  });

  test('many-step and few-step methods at any step count; bad input names the field', () => {
    assert.equal(manyStepMethod(plan, 4).family, 'DPM-Solver++');
    assert.equal(fewStepMethod(plan, 25).family, 'LCM');
    assert.throws(() => courseSpeedMethod(plan, 0), /steps/);
    assert.throws(() => courseSpeedMethod(plan, 4, { size: 3 }), /size/);
    assert.throws(() => courseSpeedMethod(plan, 4, { batch: 0 }), /batch/);
  });
});
