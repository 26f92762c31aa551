import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './support.js';

/**
 * Lines of markdown that start an ordered list by accident: a wrapped line beginning "2004) ..."
 * or "2004. ..." inside a paragraph or a bullet (CommonMark reads both as a list item numbered 2004).
 */
export function accidentalListLines(markdown: string): string[] {
  const lines = markdown.split('\n');
  const found: string[] = [];
  let fenced = false;
  lines.forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced || i === 0) return;
    const prev = lines[i - 1];
    // A number opening a line right after text (not after another numbered item) was meant as text.
    if (!/^\s*\d+[.)](\s|$)/.test(line) || prev.trim() === '' || /^\s*\d+[.)]\s/.test(prev)) return;
    // After an indented continuation line of a numbered item (same block, no blank line between), it is the next item.
    if (/^\s+\S/.test(prev)) {
      let j = i - 1;
      while (j > 0 && /^\s+\S/.test(lines[j])) j--;
      if (/^\s*\d+[.)]\s/.test(lines[j])) return;
    }
    found.push(`line ${i + 1}: ${line.trim().slice(0, 60)}`);
  });
  return found;
}

test('no markdown cell of a notebook source starts a numbered list by accident (nb06 "Wang et al.\\n 2004)")', () => {
  const dir = path.join(repoRoot, 'scripts', 'notebooks');
  const files = ['', 'solutions'].flatMap((sub) => readdirSync(path.join(dir, sub)).filter((f) => f.endsWith('.nb.txt')).map((f) => path.join(dir, sub, f)));
  const problems: string[] = [];
  for (const file of files) {
    const cells = readFileSync(file, 'utf8').split(/^#%%\s*/m).filter((c) => c.startsWith('md'));
    for (const cell of cells) for (const p of accidentalListLines(cell.slice(2))) problems.push(`${path.basename(file)} ${p}`);
  }
  assert.deepEqual(problems, []);
});

test('the check finds a wrapped year and leaves real lists alone', () => {
  assert.deepEqual(accidentalListLines('- SSIM (Wang et al.\n  2004) compares'), ['line 2: 2004) compares']);
  assert.deepEqual(accidentalListLines('text\n\n1. one\n2. two'), []);
  assert.deepEqual(accidentalListLines('as in Wang\n2004. and'), ['line 2: 2004. and']);
  assert.deepEqual(accidentalListLines('1. one\n   wrapped\n2. two\n   more\n   lines\n3. three'), []);
  assert.deepEqual(accidentalListLines('- a bullet\n  wrapped\n2004) compares'), ['line 3: 2004) compares']);
});
