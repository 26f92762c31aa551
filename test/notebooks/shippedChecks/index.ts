/**
 * The conclusions each notebook must show when it runs on the shipped model, keyed by the notebook's
 * path relative to notebooks/ (the full-lecture test in test/browser/fullLecture.serial.test.ts applies them).
 */
import type { Notebook } from '../../../src/runner/index.js';
import { checkShipped01, checkShipped02 } from './nb01nb02.js';
import { checkShipped03 } from './nb03.js';
import { checkShipped04 } from './nb04.js';
import { checkShipped05 } from './nb05.js';
import { checkShipped06 } from './nb06.js';
import { checkShipped07 } from './nb07.js';
import { checkShippedEx1, checkShippedEx2, checkShippedEx3, checkShippedEx4 } from './solutions.js';

export const SHIPPED_CHECKS: Record<string, (nb: Notebook) => void> = {
  '01-how-diffusion-works.ipynb': checkShipped01,
  '02-consistency-models.ipynb': checkShipped02,
  '03-generating-with-fewer-steps.ipynb': checkShipped03,
  '04-speed-benchmarking.ipynb': checkShipped04,
  '05-pareto-analysis.ipynb': checkShipped05,
  '06-distillation-and-metrics.ipynb': checkShipped06,
  '07-summary-and-exercises.ipynb': checkShipped07,
  'solutions/ex1-lcm-lora.ipynb': checkShippedEx1,
  'solutions/ex2-resolution-vs-steps.ipynb': checkShippedEx2,
  'solutions/ex3-batch-size.ipynb': checkShippedEx3,
  'solutions/ex4-prompt-complexity.ipynb': checkShippedEx4,
};
