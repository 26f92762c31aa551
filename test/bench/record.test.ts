import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { benchRecord, installedPackageVersion, machineInfo } from '../../src/bench/record.js';
import { summarizeSamples } from '../../src/bench/stats.js';

const repoRoot = resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

describe('benchRecord(name, settings, stats)', () => {
  const stats = summarizeSamples([1, 2, 3]);
  const record = benchRecord('pareto-1e6', { n: 1_000_000, repeats: 3 }, stats);

  test('carries the name, settings, stats and an ISO date', () => {
    assert.equal(record.name, 'pareto-1e6');
    assert.deepEqual(record.settings, { n: 1_000_000, repeats: 3 });
    assert.equal(record.stats, stats);
    assert.ok(!Number.isNaN(Date.parse(record.date)) && record.date.endsWith('Z'));
  });

  test('describes the machine: cpu model, cores >= 1, memory > 0, os', () => {
    const m = record.machine;
    assert.equal(typeof m.cpuModel, 'string');
    assert.ok(Number.isInteger(m.cores) && m.cores >= 1);
    assert.ok(m.memoryBytes > 0);
    assert.ok(m.os.length > 0);
    assert.deepEqual(machineInfo().cores, m.cores);
  });

  test('records node and the installed versions of the pinned packages, matching package.json', () => {
    assert.equal(record.versions.node, process.version);
    for (const name of ['onnxruntime-node', 'sharp', 'simple-statistics']) {
      assert.equal(record.versions[name], pkg.dependencies[name], name);
    }
  });

  test('round-trips through JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
  });

  test('an uninstalled package has version null', () => {
    assert.equal(installedPackageVersion('no-such-package-fewstep-test'), null);
  });

  test('a missing name, array settings or bad stats throw InvalidArgumentError', () => {
    assert.throws(
      () => benchRecord('', {}, stats),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'name',
    );
    assert.throws(
      () => benchRecord('x', [] as unknown as Record<string, unknown>, stats),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'settings',
    );
    assert.throws(
      () => benchRecord('x', {}, {} as typeof stats),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'stats',
    );
  });
});
