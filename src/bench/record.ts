import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import type { BenchStats } from './stats.js';

/** The machine a benchmark ran on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  arch: string;
}

/** A benchmark result as JSON: what ran, where, with which software, when, how, and the numbers. */
export interface BenchRecord {
  name: string;
  date: string;
  machine: MachineInfo;
  versions: Record<string, string | null>;
  settings: Record<string, unknown>;
  stats: BenchStats;
}

/** The packages whose versions every record carries (read from node_modules/<name>/package.json). */
export const RECORDED_PACKAGES = ['onnxruntime-node', 'sharp', 'simple-statistics'] as const;

/** CPU model, logical cores, total memory and OS of this machine. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
  };
}

/**
 * Version of an installed package, read from the nearest node_modules/<name>/package.json above
 * `fromDir` (default: this file's folder); null when it is not installed.
 */
export function installedPackageVersion(name: string, fromDir: string = __dirname): string | null {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError('name', name, 'expected a package name');
  let dir = fromDir;
  for (;;) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        return typeof version === 'string' ? version : null;
      } catch {
        return null;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Node's version plus the versions of RECORDED_PACKAGES (null where not installed). */
export function softwareVersions(): Record<string, string | null> {
  const out: Record<string, string | null> = { node: process.version };
  for (const name of RECORDED_PACKAGES) out[name] = installedPackageVersion(name);
  return out;
}

/** A JSON-ready record of one benchmark: name, ISO date, machine, software versions, settings, stats. */
export function benchRecord(name: string, settings: Record<string, unknown>, stats: BenchStats): BenchRecord {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError('name', name, 'expected a non-empty benchmark name');
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new InvalidArgumentError('settings', settings, 'expected an object of the settings the benchmark ran with');
  }
  if (stats === null || typeof stats !== 'object' || !Array.isArray(stats.samplesMs)) {
    throw new InvalidArgumentError('stats', stats, 'expected the BenchStats that benchmark() returned');
  }
  return {
    name,
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions: softwareVersions(),
    settings: { ...settings },
    stats,
  };
}
