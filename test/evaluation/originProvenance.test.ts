import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { originProvenance, type MeasurementOrigin } from '../../src/evaluation/result.js';
import { provenanceLabel } from '../../src/plots/provenance.js';

const machine = { cpu: 'AMD EPYC', cores: 2, provider: 'cpu' };
const origin = (source: MeasurementOrigin['source'], measuredAt: string): MeasurementOrigin => ({
  source,
  measuredAt,
  machine,
});

describe('originProvenance', () => {
  test('all measured in this run: "measured now" on this machine with the provider', () => {
    const p = originProvenance([origin('measured now', '2026-12-06T04:00:00Z'), undefined]);
    assert.deepEqual(p, { provenance: 'measured', provider: 'cpu' });
    assert.match(provenanceLabel(p), /^measured now on .*, cpu$/);
  });

  test('any cache hit: the machine that measured it and the earliest time among the hits', () => {
    const p = originProvenance([
      origin('measured now', '2026-12-06T05:00:00Z'),
      origin('cache hit', '2026-12-06T03:50:00Z'),
      origin('cache hit', '2026-12-06T03:47:00Z'),
    ]);
    assert.deepEqual(p, {
      provenance: 'measured',
      machine: '2 x AMD EPYC',
      provider: 'cpu',
      measuredAt: '2026-12-06T03:47:00Z',
    });
    assert.equal(
      provenanceLabel(p),
      'measured 2026-12-06 03:47 UTC on 2 x AMD EPYC, cpu, read from the measurement cache',
    );
  });

  test('one origin on its own, and none at all', () => {
    assert.equal(originProvenance(origin('cache hit', '2026-12-06T03:47:00Z')).measuredAt, '2026-12-06T03:47:00Z');
    assert.deepEqual(originProvenance([]), { provenance: 'measured' });
  });
});
