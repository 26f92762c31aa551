/**
 * The course overview of notebook 01: the key techniques of few-step generation (samplers that
 * need no training and distillation methods that train a new network), each with the step counts
 * its paper samples with, how it works in one sentence and its citation; and the table builder
 * that shows them with their provenance ('published': the papers).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { TableOptions } from '../plots/bundle.js';

/** A paper, cited as "Authors, venue year, arXiv id". */
export interface TechniqueCitation {
  authors: string;
  title: string;
  /** Where it appeared ("NeurIPS", "ICLR", "arXiv preprint", ...). */
  venue: string;
  year: number;
  /** arXiv id, e.g. "2006.11239". */
  arxiv: string;
}

/** One technique of the course's table. */
export interface KeyTechnique {
  /** Stable id, e.g. 'ddim'. */
  id: string;
  /** Name as the course writes it. */
  name: string;
  /** 'sampler': a solver run on the unchanged model; 'distillation': a new network is trained from a teacher. */
  kind: 'sampler' | 'distillation';
  /** Fewest and most sampling steps (network evaluations) the paper's models are used with. */
  steps: { min: number; max: number; typical: number };
  /** How it works, in one sentence. */
  howItWorks: string;
  /** Where it appears in this course. */
  inCourse: string;
  /** The paper(s) that introduced it, first the main one. */
  citations: readonly TechniqueCitation[];
}

const DDPM_PAPER: TechniqueCitation = {
  authors: 'Ho, Jain, Abbeel',
  title: 'Denoising Diffusion Probabilistic Models',
  venue: 'NeurIPS',
  year: 2020,
  arxiv: '2006.11239',
};
const CM_PAPER: TechniqueCitation = {
  authors: 'Song, Dhariwal, Chen, Sutskever',
  title: 'Consistency Models',
  venue: 'ICML',
  year: 2023,
  arxiv: '2303.01469',
};
const LCM_PAPER: TechniqueCitation = {
  authors: 'Luo, Tan, Huang, Li, Zhao',
  title: 'Latent Consistency Models: Synthesizing High-Resolution Images with Few-Step Inference',
  venue: 'arXiv preprint',
  year: 2023,
  arxiv: '2310.04378',
};

/**
 * The nine techniques of the course, in the order the course introduces them: the classic
 * sampler, two faster solvers, then the distillation families. Steps are those the cited papers
 * sample their models with (network evaluations; guidance doubling aside).
 */
export const KEY_TECHNIQUES: readonly KeyTechnique[] = Object.freeze([
  {
    id: 'ddpm',
    name: 'DDPM',
    kind: 'sampler',
    steps: { min: 250, max: 1000, typical: 1000 },
    howItWorks:
      'ancestral sampling: each of the T training steps predicts the noise, removes part of it and adds fresh Gaussian noise back',
    inCourse: 'notebook 01 (toy, exact denoiser)',
    citations: [DDPM_PAPER],
  },
  {
    id: 'ddim',
    name: 'DDIM',
    kind: 'sampler',
    steps: { min: 10, max: 100, typical: 50 },
    howItWorks:
      'a deterministic (eta = 0) non-Markovian reverse process with the same marginals, so the same model can jump across many training timesteps per step',
    inCourse: 'notebooks 01-07 (the teacher sampler)',
    citations: [
      {
        authors: 'Song, Meng, Ermon',
        title: 'Denoising Diffusion Implicit Models',
        venue: 'ICLR',
        year: 2021,
        arxiv: '2010.02502',
      },
    ],
  },
  {
    id: 'dpm-solver-pp',
    name: 'DPM-Solver++',
    kind: 'sampler',
    steps: { min: 10, max: 25, typical: 20 },
    howItWorks:
      'a second-order multistep solver of the probability-flow ODE in the data (x0) prediction, using the exact linear part and earlier model outputs, so 15-20 steps suffice with guidance',
    inCourse: 'notebooks 03, 05 and 07 (above 8 steps)',
    citations: [
      {
        authors: 'Lu, Zhou, Bao, Chen, Li, Zhu',
        title: 'DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models',
        venue: 'arXiv preprint',
        year: 2022,
        arxiv: '2211.01095',
      },
    ],
  },
  {
    id: 'progressive-distillation',
    name: 'Progressive distillation',
    kind: 'distillation',
    steps: { min: 1, max: 8, typical: 4 },
    howItWorks:
      'a student learns to do two deterministic teacher steps in one, then becomes the teacher of the next round, halving the steps each time',
    inCourse: 'notebook 06 (simulated on the toy; the shipped scenes-pd students), 05 and 07',
    citations: [
      {
        authors: 'Salimans, Ho',
        title: 'Progressive Distillation for Fast Sampling of Diffusion Models',
        venue: 'ICLR',
        year: 2022,
        arxiv: '2202.00512',
      },
    ],
  },
  {
    id: 'consistency-models',
    name: 'Consistency models',
    kind: 'distillation',
    steps: { min: 1, max: 2, typical: 1 },
    howItWorks:
      'a network maps any point of a probability-flow ODE path straight to its end, trained so its outputs agree at adjacent noise levels (distilled with one teacher ODE step, or trained from data alone)',
    inCourse: 'notebook 02 (the consistency property on the toy; consistency distillation trained on the toy)',
    citations: [CM_PAPER],
  },
  {
    id: 'lcm',
    name: 'LCM',
    kind: 'distillation',
    steps: { min: 1, max: 8, typical: 4 },
    howItWorks:
      "consistency distillation in a latent diffusion model's latent space, with guidance as an input and a skipping-step ODE solver (k timesteps per teacher step)",
    inCourse: 'notebooks 02-07 (the shipped scenes-lcm)',
    citations: [LCM_PAPER],
  },
  {
    id: 'lcm-lora',
    name: 'LCM-LoRA',
    kind: 'distillation',
    steps: { min: 2, max: 8, typical: 4 },
    howItWorks:
      'the LCM distillation trained as a low-rank adapter, which plugs into the base model and its fine-tunes without retraining them',
    inCourse: 'notebooks 05 and 07, exercise 1 (the shipped scenes-lcm-lora)',
    citations: [
      {
        authors: 'Luo, Tan, Patil, Gu, von Platen, Passos, Huang, Li, Zhao',
        title: 'LCM-LoRA: A Universal Stable-Diffusion Acceleration Module',
        venue: 'arXiv preprint',
        year: 2023,
        arxiv: '2311.05556',
      },
    ],
  },
  {
    id: 'turbo-add',
    name: 'Turbo (ADD)',
    kind: 'distillation',
    steps: { min: 1, max: 4, typical: 1 },
    howItWorks:
      "adversarial diffusion distillation: a student initialised from the teacher is trained with a discriminator on frozen pretrained features plus a loss towards the teacher's denoised prediction",
    inCourse:
      'our scenes-turbo measured at 1, 2 and 4 steps (notebooks 05-07; trained in notebook 06, section 5) next to published numbers; sd-turbo loads through npm run fetch-model',
    citations: [
      {
        authors: 'Sauer, Lorenz, Blattmann, Rombach',
        title: 'Adversarial Diffusion Distillation',
        venue: 'arXiv preprint',
        year: 2023,
        arxiv: '2311.17042',
      },
    ],
  },
  {
    id: 'lightning',
    name: 'Lightning',
    kind: 'distillation',
    steps: { min: 1, max: 8, typical: 4 },
    howItWorks:
      'progressive adversarial distillation: students at 8, 4, 2 and 1 steps, each trained from the previous one with a discriminator in the latent space of the diffusion model itself',
    inCourse: 'our scenes-lightning-4/2/1 students measured (notebooks 05-07; notebook 06, section 5)',
    citations: [
      {
        authors: 'Lin, Wang, Yang',
        title: 'SDXL-Lightning: Progressive Adversarial Diffusion Distillation',
        venue: 'arXiv preprint',
        year: 2024,
        arxiv: '2402.13929',
      },
    ],
  },
]);

/** "Authors, venue year, arXiv id" of a citation. */
export function techniqueCitationText(c: TechniqueCitation): string {
  return `${c.authors}, ${c.venue === 'arXiv preprint' ? '' : `${c.venue} `}${c.year}, arXiv ${c.arxiv}`;
}

/** "1-4 (1 typical)" of a technique's steps. */
export function techniqueStepsText(t: Pick<KeyTechnique, 'steps'>): string {
  const { min, max, typical } = t.steps;
  return `${min === max ? String(min) : `${min}-${max}`} (${typical} typical)`;
}

/** Checks one technique: non-empty texts, 1 <= min <= typical <= max integer steps, at least one citation with a year and arXiv id. */
export function validateTechnique(t: KeyTechnique, field = 'technique'): void {
  if (t === null || typeof t !== 'object') throw new InvalidArgumentError(field, t, 'expected a KeyTechnique object');
  for (const key of ['id', 'name', 'howItWorks', 'inCourse'] as const) {
    if (typeof t[key] !== 'string' || t[key].trim() === '')
      throw new InvalidArgumentError(`${field}.${key}`, t[key], 'expected a non-empty string');
  }
  if (t.kind !== 'sampler' && t.kind !== 'distillation')
    throw new InvalidArgumentError(`${field}.kind`, t.kind, "'sampler' or 'distillation'");
  const s = t.steps;
  if (
    !s ||
    ![s.min, s.max, s.typical].every((v) => Number.isInteger(v) && v >= 1) ||
    !(s.min <= s.typical && s.typical <= s.max)
  ) {
    throw new InvalidArgumentError(`${field}.steps`, s, 'integers with 1 <= min <= typical <= max');
  }
  if (!Array.isArray(t.citations) || t.citations.length === 0)
    throw new InvalidArgumentError(`${field}.citations`, t.citations, 'at least one citation');
  t.citations.forEach((c, i) => {
    const at = `${field}.citations[${i}]`;
    if (!c || typeof c.authors !== 'string' || c.authors.trim() === '' || typeof c.title !== 'string' || !c.title)
      throw new InvalidArgumentError(at, c, 'a citation with authors and title');
    if (!Number.isInteger(c.year) || c.year < 2015 || c.year > 2030)
      throw new InvalidArgumentError(`${at}.year`, c.year, 'a publication year between 2015 and 2030');
    if (typeof c.arxiv !== 'string' || !/^\d{4}\.\d{5}$/.test(c.arxiv))
      throw new InvalidArgumentError(`${at}.arxiv`, c.arxiv, 'an arXiv id such as 2006.11239');
    // arXiv ids start with the submission's yymm: a citation's year cannot precede it.
    const arxivYear = 2000 + Number(c.arxiv.slice(0, 2));
    if (c.year < arxivYear)
      throw new InvalidArgumentError(`${at}.year`, c.year, `a year no earlier than its arXiv id's (${arxivYear})`);
  });
}

/** The columns of the key-techniques table, in order. */
export const KEY_TECHNIQUE_COLUMNS = ['technique', 'kind', 'steps', 'how it works', 'paper'] as const;

/** The rows, columns and options (provenance 'published', the papers as source) that `fs.showTable` takes. */
export interface KeyTechniquesTable {
  rows: Record<(typeof KEY_TECHNIQUE_COLUMNS)[number], string>[];
  columns: string[];
  options: TableOptions;
}

/**
 * The course's key-techniques table: one row per technique (name, sampler or distillation, steps,
 * how it works, paper), sorted by typical steps, most first (the course's story: from 1000 steps
 * to 1). Provenance 'published': the source lists every paper cited. Throws naming the technique
 * and field when one is malformed, or when two share an id.
 */
export function keyTechniquesTable(techniques: readonly KeyTechnique[] = KEY_TECHNIQUES): KeyTechniquesTable {
  if (!Array.isArray(techniques) || techniques.length === 0)
    throw new InvalidArgumentError('techniques', techniques, 'a non-empty array of KeyTechnique');
  techniques.forEach((t: KeyTechnique, i: number) => validateTechnique(t, `techniques[${i}]`));
  const ids = new Set<string>();
  for (const t of techniques) {
    if (ids.has(t.id)) throw new InvalidArgumentError('techniques', t.id, 'techniques with distinct ids');
    ids.add(t.id);
  }
  const sorted: KeyTechnique[] = techniques
    .map((t, i) => ({ t, i }))
    .sort((a, b) => b.t.steps.typical - a.t.steps.typical || a.i - b.i)
    .map((e) => e.t);
  const rows = sorted.map((t) => ({
    technique: t.name,
    kind: t.kind === 'sampler' ? 'sampler (no training)' : 'distillation (trains a student)',
    steps: techniqueStepsText(t),
    'how it works': t.howItWorks,
    paper: t.citations.map(techniqueCitationText).join('; '),
  }));
  const papers = [...new Set(sorted.flatMap((t) => t.citations.map((c) => `${c.authors.split(',')[0]} ${c.year}`)))];
  return {
    rows,
    columns: [...KEY_TECHNIQUE_COLUMNS],
    options: {
      provenance: 'published',
      source: `the papers in the last column (${papers.join(', ')}); steps as the papers sample their models`,
      caption: 'key techniques of few-step generation, most steps first; steps = network evaluations per image',
    },
  };
}
