#!/usr/bin/env node
/**
 * npm run model-cards [-- --models models --eval data/model-eval.json --check]
 *
 * Writes the model card (README.md) of every scenes model folder from the one template
 * models/recipes/card-template.md, filled with the recipe's training record
 * (models/scenes-training.json) and the recorded evaluation (data/model-eval.json). The template's
 * syntax is described at its top. --check writes nothing and exits 1 when a committed card differs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { modelEvalRow, readModelEval, type ModelEvalFile } from '../evaluation/recorded.js';
import { defineCli, parseCli, runCli } from './args.js';

/** Where the template lives under a models folder. */
export const CARD_TEMPLATE = path.join('recipes', 'card-template.md');

/** What a template is filled with. */
export interface CardData {
  /** models/scenes-training.json as written by the recipe. */
  training: Record<string, unknown>;
  /** data/model-eval.json, checked by readModelEval. */
  eval: ModelEvalFile;
}

const FORMATS: Record<string, (v: unknown, field: string) => string> = {
  f1: (v, f) => finite(v, f).toFixed(1),
  f2: (v, f) => finite(v, f).toFixed(2),
  pct: (v, f) => `${(100 * finite(v, f)).toFixed(1)}%`,
  day: (v, f) => {
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new InvalidArgumentError(f, v, 'an ISO 8601 date');
    return v.slice(0, 10);
  },
  json: (v) => JSON.stringify(v),
};

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(field, v, 'a finite number');
  return v;
}

function lookup(data: CardData, dotted: string, where: string): unknown {
  let v: unknown = data;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in (v as object)))
      throw new InvalidArgumentError(`${where}: {{${dotted}}}`, undefined, 'a key of the training record or eval file');
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const f2 = (v: number): string => v.toFixed(2);
const p1 = (v: number): string => (100 * v).toFixed(1);

/**
 * The markdown table of the named eval rows: FD, adherence and (when the rows have it: eval:models ran
 * with models/scenes-clip) CLIPScore with 95% intervals, time median (IQR). A row without CLIPScore
 * among rows with it says "n/a (no scenes-clip)".
 */
export function rowsTable(evalFile: ModelEvalFile, names: readonly string[]): string {
  const rows = names.map((name) => modelEvalRow(evalFile, name));
  const clip = rows.some((r) => r.clipScoreInterval !== undefined);
  const lines = [
    `| sampler | steps | guidance | UNet evaluations | FD [95% CI] | adherence % [95% CI] | all 7 right |${clip ? ' CLIPScore [95% CI] |' : ''} ms/image (IQR) |`,
    `|---|---|---|---|---|---|---|${clip ? '---|' : ''}---|`,
  ];
  for (const r of rows) {
    const fd = r.frechetInterval;
    const ad = r.adherenceInterval;
    const cs = r.clipScoreInterval;
    const clipCell = !clip
      ? ''
      : cs
        ? ` ${cs.value.toFixed(1)} [${cs.low.toFixed(1)}, ${cs.high.toFixed(1)}] |`
        : ' n/a (no scenes-clip) |';
    lines.push(
      `| ${r.name} | ${r.steps} | ${r.guidance} | ${r.unetEvaluations} | ${f2(r.frechet)} [${f2(fd.low)}, ${f2(fd.high)}] | ` +
        `${p1(r.adherence)} [${p1(ad.low)}, ${p1(ad.high)}] | ${p1(r.allCorrect)}% |${clipCell} ${f2(r.time.medianMs)} (${f2(r.time.iqrMs)}) |`,
    );
  }
  return lines.join('\n');
}

function accuracyTable(evalFile: ModelEvalFile): string {
  const acc = evalFile.evaluatorAccuracy;
  if (acc === null || typeof acc !== 'object')
    throw new InvalidArgumentError('evalFile.evaluatorAccuracy', acc, 'accuracy per attribute');
  return ['| attribute | accuracy |', '|---|---|']
    .concat(Object.entries(acc as Record<string, unknown>).map(([k, v]) => `| ${k} | ${p1(finite(v, k))}% |`))
    .join('\n');
}

/**
 * The cards a template gives: folder name -> README text. Throws naming the card and the placeholder
 * when one names nothing (a missing eval row, a training key, an unknown format or snippet).
 */
export function renderModelCards(template: string, data: CardData): Map<string, string> {
  const snippets = new Map<string, string>();
  const body = template
    .replace(/^<!--(?! define| end| card)[\s\S]*?-->\n/, '')
    .replace(/<!-- define (\S+) -->\n([\s\S]*?)\n<!-- end -->\n/g, (_, name: string, text: string) => {
      snippets.set(name, text);
      return '';
    });
  const cards = new Map<string, string>();
  const heads = [...body.matchAll(/^<!-- card (\S+)(?: (\w+)=([\w,]+))? -->\n/gm)];
  if (heads.length === 0) throw new InvalidArgumentError('template', 'no cards', '"<!-- card FOLDER -->" sections');
  heads.forEach((h, k) => {
    const start = h.index! + h[0].length;
    const text = body.slice(start, k + 1 < heads.length ? heads[k + 1].index : body.length);
    const values = h[2] ? h[3].split(',') : [''];
    for (const value of values) {
      const subst = (s: string): string => (h[2] ? s.split(`{${h[2]}}`).join(value) : s);
      const folder = subst(h[1]);
      const fill = (s: string): string =>
        s
          .replace(/\{\{> (\S+)\}\}/g, (_, name: string) => {
            const snippet = snippets.get(name);
            if (snippet === undefined)
              throw new InvalidArgumentError(
                `${folder}: {{> ${name}}}`,
                name,
                `a snippet: ${[...snippets.keys()].join(', ')}`,
              );
            return fill(snippet);
          })
          .replace(/\{\{([^}]*)\}\}/g, (_, inner: string) => {
            const expr = inner.trim();
            if (expr === 'accuracy') return accuracyTable(data.eval);
            if (expr.startsWith('rows:'))
              return rowsTable(
                data.eval,
                expr
                  .slice(5)
                  .split(';')
                  .map((n) => n.trim()),
              );
            const [key, format] = expr.split('|').map((x) => x.trim());
            const v = lookup(data, key, folder);
            if (format === undefined) return String(v);
            const fmt = FORMATS[format];
            if (!fmt)
              throw new InvalidArgumentError(
                `${folder}: {{${expr}}}`,
                format,
                `a format: ${Object.keys(FORMATS).join(', ')}`,
              );
            return fmt(v, `${folder}: {{${key}}}`);
          });
      cards.set(folder, fill(subst(text)).trim() + '\n');
    }
  });
  return cards;
}

/** Reads the template and the two records under `modelsDir` and renders the cards of the folders that exist. */
export function modelCards(modelsDir: string, evalFile: string): Map<string, string> {
  const templateFile = path.join(modelsDir, CARD_TEMPLATE);
  if (!fs.existsSync(templateFile))
    throw new InvalidArgumentError(
      'template',
      templateFile,
      'the model card template (models/recipes/card-template.md)',
    );
  const trainingFile = path.join(modelsDir, 'scenes-training.json');
  if (!fs.existsSync(trainingFile))
    throw new InvalidArgumentError('training', trainingFile, 'the recipe training record models/scenes-training.json');
  const data: CardData = {
    training: JSON.parse(fs.readFileSync(trainingFile, 'utf8')) as Record<string, unknown>,
    eval: readModelEval(evalFile),
  };
  const all = renderModelCards(fs.readFileSync(templateFile, 'utf8'), data);
  return new Map([...all].filter(([folder]) => fs.existsSync(path.join(modelsDir, folder))));
}

/** Writes every card (README.md of each existing folder); returns the files written. */
export function writeModelCards(modelsDir: string, evalFile: string): string[] {
  const written: string[] = [];
  for (const [folder, text] of modelCards(modelsDir, evalFile)) {
    const file = path.join(modelsDir, folder, 'README.md');
    fs.writeFileSync(file, text);
    written.push(file);
  }
  return written;
}

/** The command line of `npm run model-cards`. */
export const MODEL_CARDS_CLI = defineCli({
  command: 'npm run model-cards --',
  summary:
    'Writes models/*/README.md from models/recipes/card-template.md, the training record and data/model-eval.json.',
  options: {
    models: { type: 'string', value: 'dir', default: 'models', help: 'models folder' },
    eval: { type: 'string', value: 'file', default: path.join('data', 'model-eval.json'), help: 'recorded evaluation' },
    check: { type: 'boolean', default: false, help: 'write nothing; exit 1 when a card differs from the template' },
  },
});

async function main(): Promise<void> {
  const { values } = parseCli(MODEL_CARDS_CLI, process.argv.slice(2));
  if (values.check) {
    const stale = [...modelCards(values.models!, values.eval!)].filter(([folder, text]) => {
      const file = path.join(values.models!, folder, 'README.md');
      return !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
    });
    for (const [folder] of stale) console.log(`${folder}/README.md differs from the template (npm run model-cards)`);
    if (stale.length > 0) process.exitCode = 1;
    return;
  }
  for (const f of writeModelCards(values.models!, values.eval!)) console.log(`wrote ${f}`);
}

if (require.main === module) {
  runCli('model-cards', main);
}
