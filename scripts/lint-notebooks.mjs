// Formats or checks the TypeScript cells of the notebook sources (scripts/notebooks/**/*.nb.txt) with
// prettier, the same settings as src/ (.prettierrc.json), so notebook code reads like library code.
//   node scripts/lint-notebooks.mjs            check: lists the cells prettier would change, exits 1 if any
//   node scripts/lint-notebooks.mjs --write    rewrites those cells in place (then run build.mjs)
// Markdown cells are left alone. A cell prettier cannot parse is reported with its file and cell number.
// It also reports code the tslab kernel cannot run though TypeScript accepts it (tslabPitfalls.mjs).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { crossCellShorthands } from './notebooks/tslabPitfalls.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(root, 'scripts', 'notebooks');
const write = process.argv.includes('--write');
const options = { ...(await prettier.resolveConfig(path.join(root, 'src', 'index.ts'))), parser: 'typescript' };

const files = readdirSync(sourceDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.nb.txt'))
  .sort();
let bad = 0;
for (const rel of files) {
  const file = path.join(sourceDir, rel);
  const text = readFileSync(file, 'utf8');
  // Split into [marker, body] pairs; the body keeps its trailing blank lines as the separator.
  const parts = text.split(/^(#%%[^\n]*\n)/m);
  let changed = false;
  let cellNo = 0;
  const codeCells = [];
  for (let i = 1; i < parts.length; i += 2) {
    cellNo++;
    if (!/^#%%\s*code\s*$/.test(parts[i])) continue;
    codeCells.push({ cellNo, code: parts[i + 1] });
    const body = parts[i + 1];
    const code = body.replace(/\s+$/, '');
    const trailing = body.slice(code.length);
    let formatted;
    try {
      formatted = (await prettier.format(code, options)).replace(/\s+$/, '');
    } catch (e) {
      console.error(`${rel} cell ${cellNo}: prettier cannot parse it: ${String(e.message).split('\n')[0]}`);
      bad++;
      continue;
    }
    if (formatted !== code) {
      if (write) {
        parts[i + 1] = formatted + trailing;
        changed = true;
      } else {
        console.error(`${rel} cell ${cellNo}: not formatted (node scripts/lint-notebooks.mjs --write)`);
        bad++;
      }
    }
  }
  if (changed) writeFileSync(file, parts.join(''));
  let pitfalls = [];
  try {
    pitfalls = crossCellShorthands(codeCells.map((c) => c.code));
  } catch (e) {
    console.error(`${rel}: the tslab check could not read it: ${String(e.message).split('\n')[0]}`);
    bad++;
  }
  for (const p of pitfalls) {
    console.error(
      `${rel} cell ${codeCells[p.cell].cellNo} line ${p.line}: shorthand property { ${p.name} } names an earlier cell's variable; ` +
        `tslab cannot resolve it (ReferenceError at run time): write { ${p.name}: ${p.name} }`,
    );
    bad++;
  }
}
if (bad > 0) {
  console.error(`${bad} notebook cell(s) need attention`);
  process.exit(1);
}
console.log(`notebook cells ${write ? 'formatted' : 'formatted correctly'}: ${files.length} source(s)`);
