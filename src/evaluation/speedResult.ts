/**
 * The structured result of the speed notebook (04): every number its conclusions rest on, as JSON
 * data for fs.emitResult, so that tests read numbers instead of printed prose.
 */
import type { SpeedLineFit } from '../bench/lineFit.js';
import type { StageBreakdown } from '../bench/stages.js';
import type { CoursePlan } from '../course/plan.js';
import type { PublishedResult } from '../published/index.js';
import type { Interval } from './bootstrap.js';
import { describeMachine, type MachineIdentity } from './key.js';
import type { MethodResult, TimeStats } from './result.js';
import type { UnetFlopsBySize } from './speedPlan.js';
import type { BatchSaturation, TimeComparison } from './timeCompare.js';

/** One timed method as the structured results hold it. */
export interface TimedSummary {
  name: string;
  family: string;
  steps: number;
  size: number | null;
  batch: number;
  time: TimeStats;
  /** 'measured now' or 'cache hit', with when. */
  source: string;
  measuredAt: string;
}

/** A timed result as JSON data (throws naming the method when it has no time). */
export function timedSummary(r: MethodResult): TimedSummary {
  if (!r.time || !r.provenance.time) throw new Error(`${r.method.name} has no time`);
  return {
    name: r.method.name,
    family: r.method.family,
    steps: r.method.steps,
    size: r.method.size ?? null,
    batch: r.method.batch ?? 1,
    time: r.time,
    source: r.provenance.time.source,
    measuredAt: r.provenance.time.measuredAt,
  };
}

/** What notebook 04 hands to speedNotebookResult (its variables, by name). */
export interface SpeedNotebookInput {
  plan: CoursePlan;
  machine: MachineIdentity;
  load: number | undefined;
  native: number;
  stepTimes: readonly MethodResult[];
  fit: SpeedLineFit;
  courseRows: readonly {
    name: string;
    steps: number;
    time: TimeStats;
    speedUp: Interval;
    perMinute: Interval;
    verdict: TimeComparison['verdict'];
  }[];
  sizes: readonly number[];
  sizeTimes: readonly MethodResult[];
  sizeSpeedUps: readonly { size: number; fast: string; speedUp: Interval }[];
  perSize: readonly { size: number; fit: SpeedLineFit; flops: number | null }[];
  flops: UnetFlopsBySize;
  sdFlops: readonly PublishedResult[];
  batchTimes: readonly MethodResult[];
  saturation: readonly BatchSaturation[];
  stages: readonly MethodResult[];
  gpuRows: readonly Record<string, unknown>[];
}

/** Notebook 04's structured result (see the file comment); pass it to emitResult. */
export function speedNotebookResult(i: SpeedNotebookInput): { notebook: string } & Record<string, unknown> {
  return {
    notebook: '04',
    fixture: i.plan.fixture,
    shipped: i.plan.shipped,
    machine: describeMachine(i.machine),
    cores: i.machine.cores,
    provider: i.machine.provider,
    loadAverage: i.load ?? null,
    native: i.native,
    steps: i.stepTimes.map(timedSummary),
    fit: { ...i.fit },
    course: i.courseRows.map((r) => ({
      steps: r.steps,
      name: r.name,
      time: r.time,
      speedUp: r.speedUp,
      imagesPerMinute: r.perMinute,
      verdict: r.verdict,
    })),
    sizes: [...i.sizes],
    sizeTimes: i.sizeTimes.map(timedSummary),
    sizeSpeedUps: i.sizeSpeedUps.map((r) => ({ size: r.size, method: r.fast, speedUp: r.speedUp })),
    perSize: i.perSize.map((p) => ({ size: p.size, fit: { ...p.fit }, flops: p.flops })),
    flopRows: i.flops.rows,
    flopsSkipped: i.flops.skipped ?? null,
    publishedFlops: i.sdFlops.map((r) => ({
      resolution: r.resolution ?? null,
      tflop: r.value,
      provenance: 'published',
      source: `${r.citation.source}, ${r.citation.table}`,
    })),
    batch: i.saturation.map((s, k) => ({
      points: i.batchTimes.filter((_, j) => Math.floor(j / s.points.length) === k).map(timedSummary),
      bestBatch: s.bestBatch,
      saturationBatch: s.saturationBatch,
      gain: s.gain,
      verdict: s.verdict,
      text: s.text,
    })),
    stages: i.stages.map((r) => ({
      name: r.method.name,
      medianMs: r.time?.medianMs,
      stages: r.time?.stages as StageBreakdown,
    })),
    floor: i.gpuRows.map((r) => ({ ...r })),
  };
}
