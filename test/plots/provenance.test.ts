import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { applyProvenance, provenanceLabel } from '../../src/plots/provenance.js';

describe('provenanceLabel', () => {
  test('measured charts say they were measured on this machine, with the setup when given', () => {
    assert.equal(provenanceLabel({ provenance: 'measured' }), 'measured on this machine');
    assert.equal(provenanceLabel({ provenance: 'measured', source: 'CPU, 2 cores' }), 'measured on this machine (CPU, 2 cores)');
  });
  test('published charts name their citation', () => {
    assert.equal(provenanceLabel({ provenance: 'published', source: 'Luo et al. 2023, Table 1' }), 'published: Luo et al. 2023, Table 1');
  });
  test('published charts without a citation are refused', () => {
    assert.throws(() => provenanceLabel({ provenance: 'published' }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'source');
  });
  test('simulated charts say SIMULATION in capitals', () => {
    assert.match(provenanceLabel({ provenance: 'simulated' }), /^SIMULATION/);
    assert.match(provenanceLabel({ provenance: 'simulated', source: 'toy mixture' }), /^SIMULATION \(toy mixture\)/);
  });
  test('an unknown provenance or an empty source throws InvalidArgumentError', () => {
    assert.throws(() => provenanceLabel({ provenance: 'guessed' as never }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'provenance');
    assert.throws(() => provenanceLabel({ provenance: 'measured', source: '  ' }), InvalidArgumentError);
  });
});

describe('applyProvenance', () => {
  test('puts the label on a second title line and records it in layout.meta', () => {
    const layout = applyProvenance({}, 'Speed', { provenance: 'published', source: 'A <b> & C' });
    const title = layout.title as { text: string };
    assert.equal(title.text, 'Speed<br><sup>published: A &lt;b&gt; &amp; C</sup>');
    assert.deepEqual((layout as { meta?: unknown }).meta, { provenance: 'published', source: 'A <b> & C' });
  });
  test('simulated charts carry a SIMULATION watermark, measured ones do not', () => {
    const sim = applyProvenance({}, 'T', { provenance: 'simulated' });
    assert.ok(sim.annotations?.some((a) => a.text === 'SIMULATION'));
    const measured = applyProvenance({}, 'T', { provenance: 'measured' });
    assert.equal(measured.annotations?.length, 0);
  });
  test('keeps existing annotations and leaves room at the top for two title lines', () => {
    const layout = applyProvenance({ annotations: [{ text: 'mine' }], margin: { t: 20, l: 5 } }, 'T', { provenance: 'simulated' });
    assert.equal(layout.annotations?.[0].text, 'mine');
    assert.equal(layout.margin?.t, 80);
    assert.equal(layout.margin?.l, 5);
  });
});
