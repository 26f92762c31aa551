/**
 * The conclusions each notebook must show when it runs on the shipped model, keyed by the notebook's
 * path relative to notebooks/ (the full-lecture test in test/browser/fullLecture.test.ts applies them).
 */
import type { Notebook } from '../../../src/runner/index.js';
import { checkShipped01, checkShipped02 } from './nb01nb02.js';

export const SHIPPED_CHECKS: Record<string, (nb: Notebook) => void> = {
  '01-how-diffusion-works.ipynb': checkShipped01,
  '02-consistency-models.ipynb': checkShipped02,
};
