import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  applyProvenance,
  PROVENANCES,
  provenanceLabel,
  provenanceRecord,
  thisMachine,
} from '../../src/plots/provenance.js';
import { lineChart } from '../../src/plots/lineChart.js';
import { scatterChart } from '../../src/plots/scatterChart.js';
import { paretoChart } from '../../src/plots/paretoChart.js';
import { groupedBarChart } from '../../src/plots/barChart.js';
import { heatmapChart } from '../../src/plots/heatmapChart.js';
import type { PlotlyFigure } from '../../src/plots/figure.js';

const invalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
const cpuModel = os.cpus()[0]?.model.trim().replace(/\s+/g, ' ') ?? '';

describe('provenance kinds', () => {
  test('there are exactly five: measured, recorded, formula, published, simulation', () => {
    assert.deepEqual([...PROVENANCES], ['measured', 'recorded', 'formula', 'published', 'simulation']);
  });

  test('measured: "measured now" on this machine, named from os.cpus() and the provider, never a fixed word', () => {
    const label = provenanceLabel({ provenance: 'measured', provider: 'cpu', source: '5 runs' });
    assert.ok(cpuModel.length > 0);
    assert.ok(label.startsWith(`measured now on ${cpuModel}, ${os.availableParallelism()} core`), label);
    assert.ok(label.endsWith(', cpu (5 runs)'), label);
    assert.equal(
      thisMachine('cuda'),
      `${cpuModel}, ${os.availableParallelism()} core${os.availableParallelism() === 1 ? '' : 's'}, cuda`,
    );
    assert.doesNotMatch(provenanceLabel({ provenance: 'measured' }), /this machine/);
  });

  test('measured: a machine given explicitly replaces the description of this one', () => {
    assert.equal(
      provenanceLabel({ provenance: 'measured', machine: 'Ampere Altra, 4 cores', provider: 'cpu' }),
      'measured now on Ampere Altra, 4 cores, cpu',
    );
  });

  test('measured earlier (a cache hit): the label gives the time and says the numbers were read from the cache', () => {
    const r = provenanceRecord({
      provenance: 'measured',
      machine: '2 x AMD EPYC',
      provider: 'cpu',
      measuredAt: '2026-12-06T03:47:00.222Z',
      source: '9 rounds',
    });
    assert.equal(
      r.label,
      'measured 2026-12-06 03:47 UTC on 2 x AMD EPYC, cpu, read from the measurement cache (9 rounds)',
    );
    assert.equal(r.date, '2026-12-06T03:47:00.222Z');
    assert.doesNotMatch(r.label, /now/);
    assert.throws(
      () => provenanceRecord({ provenance: 'measured', measuredAt: 'yesterday' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'measuredAt',
    );
  });

  test('recorded: carries the date and the machine that measured the numbers', () => {
    const r = provenanceRecord({
      provenance: 'recorded',
      date: '2026-11-26T10:31:32.348Z',
      machine: 'Intel(R) Xeon(R) Processor, 2 cores',
      source: 'data/model-eval.json',
    });
    assert.equal(r.label, 'recorded 2026-11-26 on Intel(R) Xeon(R) Processor, 2 cores: data/model-eval.json');
    assert.equal(r.date, '2026-11-26T10:31:32.348Z');
    assert.equal(r.machine, 'Intel(R) Xeon(R) Processor, 2 cores');
  });

  test('recorded without a date or a machine, or with a date that is not one, is refused', () => {
    assert.throws(() => provenanceLabel({ provenance: 'recorded', machine: 'm' }), invalid('date'));
    assert.throws(() => provenanceLabel({ provenance: 'recorded', date: '2026-11-26' }), invalid('machine'));
    assert.throws(() => provenanceLabel({ provenance: 'recorded', date: 'last week', machine: 'm' }), invalid('date'));
    assert.throws(() => provenanceLabel({ provenance: 'recorded', date: '2026-13-45', machine: 'm' }), invalid('date'));
    assert.throws(
      () => provenanceLabel({ provenance: 'recorded', date: '2026-11-26', machine: ' ' }),
      invalid('machine'),
    );
  });

  test('formula: says computed, nothing measured, and names the formula', () => {
    assert.equal(
      provenanceLabel({ provenance: 'formula', source: 'scaled-linear beta schedule' }),
      'formula: scaled-linear beta schedule (computed, nothing measured)',
    );
    assert.equal(provenanceLabel({ provenance: 'formula' }), 'formula (computed, nothing measured)');
  });

  test('published: names its citation, and is refused without one', () => {
    assert.equal(
      provenanceLabel({ provenance: 'published', source: 'Luo et al. 2023, Table 1' }),
      'published: Luo et al. 2023, Table 1',
    );
    assert.throws(() => provenanceLabel({ provenance: 'published' }), invalid('source'));
  });

  test('simulation: says SIMULATION in capitals', () => {
    assert.match(provenanceLabel({ provenance: 'simulation' }), /^SIMULATION, not measured$/);
    assert.match(
      provenanceLabel({ provenance: 'simulation', source: 'toy mixture' }),
      /^SIMULATION \(toy mixture\), not measured$/,
    );
  });

  test('a missing or unknown kind, the old names, or an empty source throw InvalidArgumentError', () => {
    assert.throws(() => provenanceLabel(undefined as never), invalid('provenance'));
    assert.throws(() => provenanceLabel({} as never), invalid('provenance'));
    for (const old of ['simulated', 'guessed', 'measured on this machine']) {
      assert.throws(() => provenanceLabel({ provenance: old as never }), invalid('provenance'));
    }
    assert.throws(() => provenanceLabel({ provenance: 'measured', source: '  ' }), invalid('source'));
    assert.throws(() => provenanceLabel({ provenance: 'measured', provider: '' }), invalid('provider'));
  });
});

describe('applyProvenance', () => {
  test('puts the label on a second title line and records it machine-readably in layout.meta', () => {
    const layout = applyProvenance({}, 'Speed', { provenance: 'published', source: 'A <b> & C' });
    const title = layout.title as { text: string };
    assert.equal(title.text, 'Speed<br><sup>published: A &lt;b&gt; &amp; C</sup>');
    assert.deepEqual((layout as { meta?: unknown }).meta, {
      provenance: 'published',
      source: 'A <b> & C',
      date: null,
      machine: null,
      label: 'published: A <b> & C',
    });
  });
  test('simulations carry a SIMULATION watermark, other kinds do not', () => {
    const sim = applyProvenance({}, 'T', { provenance: 'simulation' });
    assert.ok(sim.annotations?.some((a) => a.text === 'SIMULATION'));
    for (const kind of ['measured', 'formula'] as const)
      assert.equal(applyProvenance({}, 'T', { provenance: kind }).annotations?.length, 0);
  });
  test('keeps existing annotations and leaves room at the top for two title lines', () => {
    const layout = applyProvenance({ annotations: [{ text: 'mine' }], margin: { t: 20, l: 5 } }, 'T', {
      provenance: 'simulation',
    });
    assert.equal(layout.annotations?.[0].text, 'mine');
    assert.equal(layout.margin?.t, 80);
    assert.equal(layout.margin?.l, 5);
  });
});

describe('every chart builder shows the kind in its title and refuses a chart without one', () => {
  const builders: [string, (p: object) => PlotlyFigure][] = [
    ['lineChart', (p) => lineChart({ title: 'T', series: [{ name: 'a', x: [1, 2], y: [3, 4] }], ...p } as never)],
    [
      'scatterChart',
      (p) => scatterChart({ title: 'T', points: [{ x: 1, y: 2, method: 'm', steps: 1 }], ...p } as never),
    ],
    [
      'paretoChart',
      (p) => paretoChart({ title: 'T', points: [{ x: 1, y: 2, label: 'a' }], frontIndices: [0], ...p } as never),
    ],
    [
      'groupedBarChart',
      (p) => groupedBarChart({ title: 'T', categories: ['a'], groups: [{ name: 'g', values: [1] }], ...p } as never),
    ],
    ['heatmapChart', (p) => heatmapChart({ title: 'T', z: [[1, 2]], ...p } as never)],
  ];
  const kinds = [
    { provenance: 'measured', provider: 'cpu' },
    { provenance: 'recorded', date: '2026-11-26', machine: 'Xeon, 2 cores', source: 'data/model-eval.json' },
    { provenance: 'formula', source: 'c_skip(t)' },
    { provenance: 'published', source: 'Yin et al. 2024, Table 3' },
    { provenance: 'simulation', source: 'toy' },
  ];
  for (const [name, build] of builders) {
    test(`${name}: each kind in the title and layout.meta`, () => {
      for (const kind of kinds) {
        const fig = build(kind);
        const meta = (fig.layout as { meta?: unknown }).meta as { provenance: string; label: string };
        assert.equal(meta.provenance, kind.provenance);
        const title = (fig.layout.title as { text: string }).text;
        assert.ok(title.startsWith(`T<br><sup>${meta.label.split(' ')[0]}`), title);
      }
    });
    test(`${name}: refuses no provenance, recorded without date or machine, published without a source`, () => {
      assert.throws(() => build({}), invalid('provenance'));
      assert.throws(() => build({ provenance: 'simulated' }), invalid('provenance'));
      assert.throws(() => build({ provenance: 'recorded', machine: 'm' }), invalid('date'));
      assert.throws(() => build({ provenance: 'recorded', date: '2026-11-26' }), invalid('machine'));
      assert.throws(() => build({ provenance: 'published' }), invalid('source'));
    });
  }
});
