import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Compiled to .build/test/notebooks/: the repository root is three levels up.
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const dataFile = path.join(repoRoot, 'data', 'published-results.json');
const generator = path.join(repoRoot, 'data', 'make-published-results.mjs');

interface Citation {
  source: string;
  table: string;
  arxiv?: string;
  url?: string;
}

interface PublishedRow {
  table: string;
  paper: string;
  citation: Citation;
  dataset: string;
  protocol: string;
  metric: string;
  unit: string;
  better: 'lower' | 'higher';
  method: string;
  steps: number | null;
  value: number;
  secondary: boolean;
  hardware?: string;
  resolution?: number;
  guidance?: number;
  stepsCounted?: 'NFE';
  nfePerStep?: number;
  derived?: boolean;
  note?: string;
}

const data = JSON.parse(readFileSync(dataFile, 'utf8')) as { description: string; rows: PublishedRow[]; qualitative: { claim: string }[] };
const rows = data.rows;
const byTable = new Map<string, PublishedRow[]>();
for (const r of rows) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r]);

/** The one row of `table` for method, steps and metric (throws unless exactly one). */
function find(table: string, method: string, steps: number | null, metric: string, hardware?: string): PublishedRow {
  const hits = rows.filter((r) => r.table === table && r.method === method && r.steps === steps && r.metric === metric && (hardware === undefined || r.hardware === hardware));
  assert.equal(hits.length, 1, `${table} / ${method} / ${steps} / ${metric}: ${hits.length} rows`);
  return hits[0];
}

describe('data/published-results.json', () => {
  test('holds at least one record per table of the reference notes, and each record is one number', () => {
    assert.ok(rows.length >= 100, `${rows.length} rows`);
    assert.ok(byTable.size >= 15, `${byTable.size} tables`);
    for (const [i, r] of rows.entries()) {
      assert.equal(typeof r.value, 'number', `rows[${i}].value`);
      assert.ok(Number.isFinite(r.value), `rows[${i}].value = ${r.value}`);
      assert.ok(r.steps === null || (Number.isInteger(r.steps) && r.steps >= 1), `rows[${i}].steps = ${r.steps}`);
      for (const key of ['table', 'paper', 'dataset', 'protocol', 'metric', 'unit', 'method'] as const) {
        assert.equal(typeof r[key], 'string', `rows[${i}].${key}`);
        assert.ok((r[key] as string).trim().length > 0, `rows[${i}].${key} is empty`);
      }
      assert.ok(r.better === 'lower' || r.better === 'higher', `rows[${i}].better = ${r.better}`);
    }
  });

  test('every record carries a citation with a source, a table and an arXiv id or a URL', () => {
    for (const [i, r] of rows.entries()) {
      const c = r.citation;
      assert.ok(c && typeof c.source === 'string' && c.source.length > 0, `rows[${i}].citation.source`);
      assert.ok(typeof c.table === 'string' && c.table.length > 0, `rows[${i}].citation.table`);
      assert.ok(c.arxiv !== undefined || c.url !== undefined, `rows[${i}] has neither arxiv nor url`);
      if (c.arxiv !== undefined) assert.match(c.arxiv, /^\d{4}\.\d{4,5}$/, `rows[${i}].citation.arxiv`);
      if (c.url !== undefined) assert.match(c.url, /^https:\/\/[^\s]+$/, `rows[${i}].citation.url`);
      if (c.arxiv !== undefined && c.url !== undefined) assert.ok(c.url.includes(c.arxiv), `rows[${i}]: url ${c.url} is not arXiv ${c.arxiv}`);
    }
  });

  test('every record has a boolean secondary flag, true exactly for the tables the reference read second-hand', () => {
    for (const [i, r] of rows.entries()) assert.equal(typeof r.secondary, 'boolean', `rows[${i}].secondary`);
    // From the reference notes: LCM Table 1, DMD Tables 3 and 4, ADD Table 2, and PD's per-step list are "secondary".
    const secondaryPapers = new Set(rows.filter((r) => r.secondary).map((r) => r.citation.arxiv));
    assert.deepEqual([...secondaryPapers].sort(), ['2202.00512', '2310.04378', '2311.17042', '2311.18828']);
    for (const id of ['ddim-cifar10-fid50k', 'cm-cifar10-fid', 'ort-sd15-512-50steps', 'dpm-solver-cifar10-fid']) {
      assert.ok(byTable.get(id)?.every((r) => !r.secondary), `${id} is a primary source`);
    }
  });

  test('a table id never mixes protocols, datasets, citations or units of one metric', () => {
    for (const [id, group] of byTable) {
      for (const key of ['protocol', 'dataset', 'paper', 'secondary'] as const) {
        assert.equal(new Set(group.map((r) => String(r[key]))).size, 1, `${id} mixes ${key}`);
      }
      assert.equal(new Set(group.map((r) => `${r.citation.source}|${r.citation.table}`)).size, 1, `${id} mixes citations`);
      for (const metric of new Set(group.map((r) => r.metric))) {
        const units = new Set(group.filter((r) => r.metric === metric).map((r) => `${r.unit}|${r.better}`));
        assert.equal(units.size, 1, `${id} / ${metric} mixes units`);
      }
    }
    // CIFAR-10 figures from different papers stay in different tables (their FID protocols differ).
    const cifarTables = new Set(rows.filter((r) => r.dataset === 'CIFAR-10').map((r) => r.table));
    assert.ok(cifarTables.size >= 4);
  });

  test('no number is recorded twice', () => {
    const keys = rows.map((r) => [r.table, r.metric, r.method, r.steps, r.hardware ?? '', r.resolution ?? ''].join('|'));
    const dup = keys.filter((k, i) => keys.indexOf(k) !== i);
    assert.deepEqual(dup, []);
  });

  test('spot checks against the reference notes: DDIM, LCM, DMD, ONNX Runtime and the compute floor', () => {
    assert.equal(find('ddim-cifar10-fid50k', 'DDIM (eta=0)', 10, 'FID').value, 13.36);
    assert.equal(find('ddim-cifar10-fid50k', 'DDPM (eta=1)', 1000, 'FID').value, 4.73);
    assert.equal(find('lcm-laion-aes6-512-g8', 'LCM', 1, 'FID').value, 35.36);
    assert.equal(find('lcm-laion-aes6-512-g8', 'DPM-Solver++', 8, 'CLIP score (ViT-g/14, x100)').value, 29.55);
    assert.equal(find('lcm-laion-aes6-512-g8', 'LCM', 4, 'FID').nfePerStep, 1);
    assert.equal(find('dmd-coco2014-30k-512-g3', 'DMD', 1, 'latency').value, 0.09);
    assert.equal(find('dmd-coco2014-30k-512-g8', 'LCM-LoRA', 4, 'FID').value, 23.62);
    assert.equal(find('ort-sd15-512-50steps', 'ORT CUDA EP', 50, 'latency', 'A100').value, 1.1);
    assert.equal(find('cm-imagenet64-fid', 'EDM (teacher)', 79, 'FID').stepsCounted, 'NFE');
    const floor = find('sd15-compute-floor', 'whole 1-step model (text encoder + UNet + VAE decoder)', 1, 'lower bound on time at dense fp16 peak');
    assert.equal(floor.value, 3.4);
    assert.equal(floor.derived, true);
    assert.ok(rows.filter((r) => r.derived).every((r) => r.table === 'sd15-compute-floor'));
  });

  test('qualitative statements are kept as text, never as records', () => {
    assert.ok(data.qualitative.length >= 2);
    for (const q of data.qualitative) assert.ok(typeof q.claim === 'string' && q.claim.length > 20);
    assert.ok(!rows.some((r) => /lightning|hyper-sd|tcd/i.test(r.method)), 'no unverified Lightning / Hyper-SD / TCD numbers');
  });

  test('the committed file is exactly what data/make-published-results.mjs writes', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'fewstep-published-')), 'published-results.json');
    execFileSync(process.execPath, [generator, out], { stdio: 'pipe' });
    assert.equal(readFileSync(out, 'utf8'), readFileSync(dataFile, 'utf8'));
  });
});
