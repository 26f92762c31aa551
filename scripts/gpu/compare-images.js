#!/usr/bin/env node
/*
 * Compares the PNGs `npm run generate -- --batch n --out <stem>.png` wrote (<stem>-<i>.png):
 *   --identical A B   every image byte-identical after decoding (same seed, same provider)
 *   --tolerance A B   pixel differences within the stated tolerance (CUDA vs CPU): max |diff| <= 8
 *                     levels of 255 and PSNR >= 35 dB per image (fp32 kernels differ in summation
 *                     order and TF32 use, so bit equality across providers is not expected)
 *   --json FILE       write the numbers
 * Exits 1 when a check fails. Plain JavaScript on purpose: it runs from the staged bundle.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');

const MAX_LEVELS = 8;
const MIN_PSNR_DB = 35;

function stems(stem) {
  const dir = path.dirname(stem);
  const base = path.basename(stem).replace(/\.png$/, '');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f === `${base}.png` || new RegExp(`^${base}-\\d+\\.png$`).test(f))
    .sort();
  return files.map((f) => path.join(dir, f));
}

async function pixels(file) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

async function compare(a, b) {
  const fa = stems(a);
  const fb = stems(b);
  if (fa.length === 0 || fa.length !== fb.length) throw new Error(`${a}: ${fa.length} images, ${b}: ${fb.length}`);
  const rows = [];
  for (let i = 0; i < fa.length; i++) {
    const [x, y] = [await pixels(fa[i]), await pixels(fb[i])];
    if (x.data.length !== y.data.length) throw new Error(`${fa[i]} and ${fb[i]} differ in size`);
    let max = 0;
    let se = 0;
    let sad = 0;
    for (let k = 0; k < x.data.length; k++) {
      const d = Math.abs(x.data[k] - y.data[k]);
      if (d > max) max = d;
      se += d * d;
      sad += d;
    }
    const mse = se / x.data.length;
    rows.push({
      a: path.basename(fa[i]),
      b: path.basename(fb[i]),
      maxAbs: max,
      meanAbs: sad / x.data.length,
      psnrDb: mse === 0 ? null : 10 * Math.log10((255 * 255) / mse),
      identical: max === 0,
    });
  }
  return rows;
}

async function main(argv) {
  const result = { tolerance: { maxAbsLevels: MAX_LEVELS, minPsnrDb: MIN_PSNR_DB } };
  let ok = true;
  let json;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--json') {
      json = argv[++i];
      continue;
    }
    if (flag !== '--identical' && flag !== '--tolerance') throw new Error(`unknown option ${flag}`);
    const [a, b] = [argv[++i], argv[++i]];
    const rows = await compare(a, b);
    const pass =
      flag === '--identical'
        ? rows.every((r) => r.identical)
        : rows.every((r) => r.maxAbs <= MAX_LEVELS && (r.psnrDb === null || r.psnrDb >= MIN_PSNR_DB));
    ok = ok && pass;
    result[flag.slice(2)] = { a: path.basename(a), b: path.basename(b), pass, rows };
    for (const r of rows)
      console.log(
        `${flag.slice(2).padEnd(9)} ${r.a} vs ${r.b}: max |diff| ${r.maxAbs}, mean ${r.meanAbs.toFixed(3)}, PSNR ${r.psnrDb === null ? 'inf' : r.psnrDb.toFixed(1) + ' dB'}`,
      );
    console.log(`${flag.slice(2)}: ${pass ? 'PASS' : 'FAIL'}`);
  }
  if (json) fs.writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (c) => {
    process.exitCode = c;
  },
  (e) => {
    console.error(`compare-images: ${e.message}`);
    process.exitCode = 2;
  },
);
