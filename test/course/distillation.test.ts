import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import {
  adversarialMethods,
  checkAdversarialClaim,
  DISTILLATION_METHODS,
  LIGHTNING_STEPS,
  TURBO_STEPS,
} from '../../src/course/distillation.js';
import { coursePlan } from '../../src/course/plan.js';
import type { MethodResult } from '../../src/evaluation/result.js';

const root = path.resolve(__dirname, '..', '..', '..');
describe('DISTILLATION_METHODS', () => {
  test('lists the seven families of the course, each with what it learns, steps, cost, place in the course and an arXiv citation', () => {
    assert.equal(DISTILLATION_METHODS.length, 7);
    for (const m of DISTILLATION_METHODS) {
      for (const key of ['method', 'learns', 'steps', 'cost', 'inCourse'] as const)
        assert.ok(m[key].length > 0, `${m.method}.${key}`);
      assert.ok(m.citations.length > 0 && m.citations.every((c) => /arXiv \d{4}\.\d{5}/.test(c)), m.method);
    }
    assert.ok(
      DISTILLATION_METHODS.some((m) => m.citations.some((c) => c.includes('2202.00512'))),
      'progressive distillation cites Salimans & Ho',
    );
  });

  test('every notebook a method says it appears in really uses it (LCM-LoRA is not in notebook 03)', () => {
    const dir = path.join(root, 'scripts', 'notebooks');
    const source = (nn: string) =>
      readFileSync(path.join(dir, readdirSync(dir).filter((f) => f.startsWith(`${nn}-`))[0]), 'utf8');
    // What a notebook's source must contain to use the method (its name, its model or its published table).
    const uses: Record<string, RegExp> = {
      'Progressive distillation': /scenes-pd|progressive/i,
      'Consistency distillation / LCM': /LCM/,
      'LCM-LoRA': /LCM-LoRA|lcmLora/,
      'Adversarial diffusion distillation (ADD: SD-Turbo, SDXL-Turbo)': /add-coco2017|Turbo/,
      'Progressive adversarial distillation (SDXL-Lightning)': /Lightning/,
      'Distribution matching distillation (DMD)': /dmd-coco2014|DMD/,
      'Rectified flow / InstaFlow': /InstaFlow|dmd-coco2014-30k-512-g3|add-coco2017/,
    };
    for (const m of DISTILLATION_METHODS) {
      const numbers = new Set<string>();
      if (/this notebook/.test(m.inCourse)) numbers.add('06');
      for (const [, list] of m.inCourse.matchAll(/notebooks? ((?:\d\d(?:-\d\d)?(?:, | and )?)+)/g)) {
        for (const part of list.split(/, | and /).filter((x) => x !== '')) {
          const [a, b] = part.split('-').map(Number);
          for (let n = a; n <= (b ?? a); n++) numbers.add(String(n).padStart(2, '0'));
        }
      }
      assert.ok(numbers.size > 0, `${m.method}: names no notebook`);
      for (const nn of numbers) assert.match(source(nn), uses[m.method], `${m.method} is said to be in notebook ${nn}`);
    }
  });
});

describe('checkAdversarialClaim: "Lightning/Turbo at 4 steps", decided by the 95% intervals', () => {
  const row = (
    name: string,
    family: string,
    steps: number,
    fd: [number, number, number],
    spacing?: string,
  ): MethodResult => ({
    method: {
      name,
      family,
      dir: 'x',
      steps,
      guidance: 0,
      ...(spacing ? { scheduler: { _class_name: 'DDIMScheduler', timestep_spacing: spacing } } : {}),
    },
    id: name,
    quality: { images: 10, frechet: { value: fd[1], low: fd[0], high: fd[2], level: 0.95 } },
    provenance: {},
  });
  const others = [
    row('LCM 4', 'LCM', 4, [12, 13, 14]),
    row('PD 4', 'PD', 4, [10, 11, 12]),
    row('DDIM 8', 'DDIM', 8, [1, 2, 3]), // more than 4 steps: not the comparison
    row('DDIM 4 (leading)', 'DDIM, diffusers default spacing', 4, [1, 2, 3], 'leading'), // the demonstration row
  ];

  test('the best adversarial 4-step row against the best other row at <= 4 steps', () => {
    const supported = checkAdversarialClaim(
      [...others, row('Turbo 4', 'Turbo', 4, [20, 21, 22]), row('Lightning 4', 'Lightning', 4, [7, 8, 9])],
      'frechet',
    );
    assert.equal(supported.verdict, 'supported');
    assert.equal(supported.adversarial?.method.name, 'Lightning 4');
    assert.equal(supported.other?.method.name, 'PD 4');
    assert.match(supported.text, /supported on this model/);

    const tie = checkAdversarialClaim([...others, row('Turbo 4', 'Turbo', 4, [11.5, 12.5, 13.5])], 'frechet');
    assert.equal(tie.verdict, 'within noise');
    const worse = checkAdversarialClaim([...others, row('Turbo 4', 'Turbo', 4, [30, 31, 32])], 'frechet');
    assert.equal(worse.verdict, 'not supported');
    assert.match(worse.text, /PD 4 is better/);
  });

  test('nothing to compare: said, not guessed', () => {
    const none = checkAdversarialClaim([...others, row('Turbo 1', 'Turbo', 1, [50, 60, 70])], 'frechet');
    assert.equal(none.verdict, 'not measured');
    assert.match(none.text, /no Turbo or Lightning row at 4 steps/);
  });
});

describe('adversarialMethods', () => {
  test('the shipped plan: Turbo at TURBO_STEPS from scenes-turbo, one Lightning student per LIGHTNING_STEPS, guidance 0', () => {
    const { methods, missing } = adversarialMethods(coursePlan({ env: {}, root }));
    assert.deepEqual(missing, []);
    assert.deepEqual(
      methods.map((m) => [m.name, path.basename(m.dir), m.steps, m.guidance]),
      [
        ...TURBO_STEPS.map((s) => [`Turbo ${s}`, 'scenes-turbo', s, 0]),
        ...LIGHTNING_STEPS.map((s) => [`Lightning ${s}`, `scenes-lightning-${s}`, s, 0]),
      ],
    );
  });

  test('a plan without them (a fixture): no methods, every folder named as missing', () => {
    const { methods, missing } = adversarialMethods(
      coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd' }, root }),
    );
    assert.deepEqual(methods, []);
    assert.deepEqual(missing, ['models/scenes-turbo', ...LIGHTNING_STEPS.map((s) => `models/scenes-lightning-${s}`)]);
  });
});
