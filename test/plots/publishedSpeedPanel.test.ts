import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PublishedResult } from '../../src/published/index.js';
import { publishedSpeedPanel } from '../../src/plots/publishedSpeedPanel.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('published speed panels', () => {
  const data = JSON.parse(fs.readFileSync(path.join(ROOT, 'data', 'published-results.json'), 'utf8')) as {
    rows: PublishedResult[];
  };

  test('draw one table: one category per method, one bar group per hardware, the published values, cited', () => {
    const fig = publishedSpeedPanel(data.rows, 'stable-fast-sd15-512-its');
    const bars = fig.data as { name: string; x: string[]; y: number[] }[];
    assert.deepEqual(
      bars.map((b) => b.name),
      ['H100', 'A100'],
    );
    assert.deepEqual(bars[0].x, ['PyTorch', 'torch.compile', 'stable-fast']);
    // The stable-fast README table: H100 54.5 / 66 / 104.6 it/s, A100 35.6 / 41.9 / 61.8 it/s.
    assert.deepEqual(bars[0].y, [54.5, 66, 104.6]);
    assert.deepEqual(bars[1].y, [35.6, 41.9, 61.8]);
    const meta = (fig.layout as { meta: { provenance: string; source: string } }).meta;
    assert.equal(meta.provenance, 'published');
    assert.match(meta.source, /github\.com\/chengzeyi\/stable-fast/);
  });

  test('split a table with several metrics by metric and label methods with their step counts', () => {
    assert.throws(() => publishedSpeedPanel(data.rows, 'ort-olive-sd-turbo-a100-512'), /metric/);
    const fig = publishedSpeedPanel(data.rows, 'ort-olive-sd-turbo-a100-512', 'throughput');
    const bars = fig.data as { x: string[]; y: number[] }[];
    assert.deepEqual(bars[0].x, [
      'SD-Turbo, ORT CUDA, 1 step',
      'SD-Turbo, PyTorch compiled, 1 step',
      'SD-Turbo, ORT CUDA, 4 steps',
    ]);
    assert.deepEqual(bars[0].y, [26.2, 21.3, 14.6]);
  });

  test('reject an unknown table or metric', () => {
    assert.throws(() => publishedSpeedPanel(data.rows, 'no-such-table'), /table/);
    assert.throws(() => publishedSpeedPanel(data.rows, 'ort-sd15-512-50steps', 'FID'), /metric/);
  });
});
