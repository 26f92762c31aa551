/**
 * Course content of notebook 06, "Distillation and quality metrics": the table of distillation
 * methods, each with what its student learns, its steps, its cost and its papers. (Measuring is
 * src/evaluation's; the point of diminishing returns is src/pareto/diminishingReturns.ts.)
 */

import type { Method } from '../evaluation/method.js';
import { compareResults, metricInterval, type QualityMetric } from '../evaluation/pareto.js';
import type { MethodResult } from '../evaluation/result.js';
import { planMethods, sweepOnly } from '../evaluation/sweep.js';
import type { CoursePlan } from './plan.js';
import { bestRowBy } from './exercises.js';

/** One distillation method of the course's table: what the student learns, in how many steps, at what cost. */
export interface DistillationMethodInfo {
  method: string;
  /** What the student network is trained to output. */
  learns: string;
  /** Sampling steps the published models use. */
  steps: string;
  /** What distilling costs (training signal, extra networks, compute where the paper states it). */
  cost: string;
  /** Where the method appears in this course. */
  inCourse: string;
  /** Papers: "Authors, venue year, arXiv id". */
  citations: string[];
}

/** The distillation families of the course (issue 5, section 6), each with its papers. */
export const DISTILLATION_METHODS: readonly DistillationMethodInfo[] = Object.freeze([
  {
    method: 'Progressive distillation',
    learns:
      'to do two DDIM steps of its teacher in one (the x-target of Algorithm 2); repeated, halving the steps each round',
    steps: '4-8 (1-2 possible, worse)',
    cost: 'log2(N) training rounds, each initialised from the previous student; guidance can be distilled in first (Meng et al.)',
    inCourse:
      'this notebook: simulated on the toy (section 2); the shipped scenes-pd-8/4/2/1 students (section 3, and notebooks 05 and 07)',
    citations: ['Salimans & Ho, ICLR 2022, arXiv 2202.00512', 'Meng et al., CVPR 2023, arXiv 2210.03142'],
  },
  {
    method: 'Consistency distillation / LCM',
    learns:
      'the consistency function: the end of the probability-flow ODE path through any (x_t, t), matched between adjacent noise levels joined by one teacher ODE step',
    steps: '1-8 (2-4 typical)',
    cost: 'one distillation run with an EMA target network; LCM distils guidance in (guidance as an input)',
    inCourse:
      'notebook 02 (toy: the exact consistency function, and consistency distillation trained on it); the shipped scenes-lcm (notebooks 02-07)',
    citations: ['Song, Dhariwal, Chen, Sutskever, ICML 2023, arXiv 2303.01469', 'Luo et al. 2023, arXiv 2310.04378'],
  },
  {
    method: 'LCM-LoRA',
    learns:
      'the LCM update as a low-rank adapter on the teacher, which can be added to fine-tuned versions of the same base model',
    steps: '2-8 (4 typical)',
    cost: 'consistency distillation that trains only the LoRA weights',
    inCourse: 'the shipped scenes-lcm-lora, fused into the teacher (notebooks 05 and 07, exercise 1)',
    citations: ['Luo et al. 2023, arXiv 2311.05556'],
  },
  {
    method: 'Adversarial diffusion distillation (ADD: SD-Turbo, SDXL-Turbo)',
    learns:
      "a 1-4 step generator initialised from the teacher, trained with a hinge adversarial loss (a discriminator whose trainable heads sit on a frozen pretrained feature network, DINOv2 ViT-S in the paper, and see the generator's images and real images, conditioned on the text) plus a distillation loss to the teacher's denoised prediction of the re-noised student output",
    steps: '1-4 (1 typical; 2-4 re-noise between steps, Euler with trailing timesteps, no guidance)',
    cost: 'GAN-style training with the teacher and a discriminator in the loop; the student is trained at 4 noise levels only',
    inCourse:
      'this notebook (section 5: how it is trained, published rows, our scenes-turbo measured at 1, 2 and 4 steps), notebooks 05 and 07',
    citations: ['Sauer, Lorenz, Blattmann, Rombach 2023, arXiv 2311.17042'],
  },
  {
    method: 'Progressive adversarial distillation (SDXL-Lightning)',
    learns:
      "progressive distillation (128 -> 32 -> 8 -> 4 -> 2 -> 1 steps), each round trained with an adversarial loss instead of a mean-squared error: the discriminator is the teacher's own UNet encoder, which sees the student's and the teacher's latents at a noise level and the text, so it judges whether the student's jump lands on the teacher's probability-flow path",
    steps: '1, 2, 4, 8 (a separate checkpoint per step count)',
    cost: 'one adversarial training run per halving round; a relaxed (unconditional) objective for the last rounds to avoid collapse',
    inCourse:
      'this notebook (section 5: how it is trained; our scenes-lightning-4/2/1 measured; no verified published table in data/), notebooks 05 and 07',
    citations: ['Lin, Wang, Yang 2024, arXiv 2402.13929'],
  },
  {
    method: 'Distribution matching distillation (DMD)',
    learns:
      "a 1-step generator whose output distribution matches the teacher's: gradient = difference of a real score (the teacher) and a fake score (trained on the generator's outputs), plus a regression loss on teacher ODE pairs",
    steps: '1',
    cost: 'two score networks besides the generator, and a set of noise-image pairs precomputed with the teacher',
    inCourse: 'published numbers (notebooks 05 and 07)',
    citations: ['Yin et al., CVPR 2024, arXiv 2311.18828'],
  },
  {
    method: 'Rectified flow / InstaFlow',
    learns:
      'straighter ODE paths: re-trained ("reflowed") on noise-image pairs from its own ODE, then distilled to one step',
    steps: '1',
    cost: 'pair generation with the teacher ODE, a reflow round, then distillation',
    inCourse: 'published numbers (notebook 05, InstaFlow-0.9B)',
    citations: ['Liu, Gong, Liu, ICLR 2023, arXiv 2209.03003', 'Liu et al., ICLR 2024, arXiv 2309.06380'],
  },
]);

/** Step counts of the adversarially distilled models the course measures when they exist. */
export const TURBO_STEPS: readonly number[] = Object.freeze([1, 2, 4]);
export const LIGHTNING_STEPS: readonly number[] = Object.freeze([1, 2, 4]);

/**
 * The adversarially distilled models of a plan as Methods (`planMethods` at TURBO_STEPS and
 * LIGHTNING_STEPS: `scenes-turbo`, one model at each step count, and `scenes-lightning-N`, one student
 * per N; both guidance 0 and only in the shipped family), and the folders the plan lacks, so that a
 * notebook can say what it skipped.
 */
export function adversarialMethods(plan: CoursePlan): { methods: Method[]; missing: string[] } {
  const methods = planMethods(plan, sweepOnly({ turbo: TURBO_STEPS, lightning: LIGHTNING_STEPS }));
  const missing = [
    ...(plan.turbo ? [] : ['models/scenes-turbo']),
    ...LIGHTNING_STEPS.filter((s) => !plan.lightning.some((l) => l.steps === s)).map(
      (s) => `models/scenes-lightning-${s}`,
    ),
  ];
  return { methods, missing };
}

/** The course seed's claim checked against measured rows: "Lightning/Turbo at 4 steps" is the best quality-speed trade-off. */
export interface AdversarialClaimCheck {
  /** 'supported', 'not supported', 'within noise' (the best adversarial 4-step row ties the best other one), or 'not measured'. */
  verdict: 'supported' | 'not supported' | 'within noise' | 'not measured';
  /** The best Turbo/Lightning row at 4 steps, and the best other row at <= 4 steps. */
  adversarial?: MethodResult;
  other?: MethodResult;
  /** One line: the two rows with their intervals and the verdict. */
  text: string;
}

/**
 * Checks the claim "Lightning/Turbo at 4 steps is the best quality-speed trade-off" on measured rows:
 * the best (by `metric`) Turbo or Lightning row at 4 steps against the best row of every other family
 * at <= 4 steps (the same budget of UNet steps). Supported when the adversarial row is better beyond
 * noise, within noise when the 95% intervals overlap, not supported when the other row is better
 * beyond noise.
 */
export function checkAdversarialClaim(results: readonly MethodResult[], metric: QualityMetric): AdversarialClaimCheck {
  const adversarial = (r: MethodResult) => r.method.family === 'Turbo' || r.method.family === 'Lightning';
  const scored = results.filter(
    (r) => metricInterval(r, metric) !== undefined && r.method.scheduler?.timestep_spacing !== 'leading',
  );
  const better = metric === 'frechet' ? 'lower' : 'higher';
  const value = (r: MethodResult) => metricInterval(r, metric)!.value;
  const a = bestRowBy(
    scored.filter((r) => adversarial(r) && r.method.steps === 4),
    value,
    better,
  );
  const o = bestRowBy(
    scored.filter((r) => !adversarial(r) && r.method.steps <= 4),
    value,
    better,
  );
  if (!a || !o)
    return {
      verdict: 'not measured',
      adversarial: a,
      other: o,
      text: `"Lightning/Turbo at 4 steps" not checked: ${a ? 'no other row at <= 4 steps' : 'no Turbo or Lightning row at 4 steps was measured'}`,
    };
  const c = compareResults(a, o, metric);
  const verdict =
    c.verdict === 'first better' ? 'supported' : c.verdict === 'second better' ? 'not supported' : 'within noise';
  const said =
    verdict === 'supported'
      ? 'supported on this model'
      : verdict === 'not supported'
        ? `not supported on this model: ${o.method.name} is better`
        : 'not settled on this model: the two are within noise';
  return { verdict, adversarial: a, other: o, text: `"Lightning/Turbo at 4 steps": ${said} (${c.text})` };
}
