/**
 * The one function that builds measurement cache keys. A key holds everything a measured number
 * depends on: the methods (id and the content fingerprint of every model file they read, symbolic
 * links followed), the measurement code's version, the machine (CPU model, core count) and the
 * execution provider, plus the measurement's own settings (image count, seeds, evaluator...).
 */
import * as os from 'node:os';
import { InvalidArgumentError } from '../core/errors.js';
import { modelFingerprint } from './fingerprint.js';
import { methodId, validateMethod, type Method } from './method.js';

/**
 * Version of the measurement code. Bump it whenever a change alters what a measurement returns
 * (sampling, scoring, timing protocol, result shape): every cached result of an older version is
 * then measured again instead of re-used.
 */
export const MEASUREMENT_VERSION = 2;

/** Where a measurement runs: what a timing (and, through float round-off, an image) depends on. */
export interface MachineIdentity {
  /** CPU model string (os.cpus()[0].model). */
  cpu: string;
  /** Logical cores (os.cpus().length). */
  cores: number;
  /** ONNX Runtime execution provider the pipelines use, e.g. 'cpu' or 'cuda'. */
  provider: string;
}

/** This machine's identity with the given execution provider. */
export function machineIdentity(provider: string): MachineIdentity {
  if (typeof provider !== 'string' || provider.trim() === '')
    throw new InvalidArgumentError('provider', provider, "an execution provider name such as 'cpu' or 'cuda'");
  const cpus = os.cpus();
  return { cpu: (cpus[0]?.model ?? 'unknown CPU').trim(), cores: cpus.length, provider };
}

/** "2 x Intel Xeon ..., provider cpu": how results say where they were measured. */
export function describeMachine(m: MachineIdentity): string {
  return `${m.cores} x ${m.cpu}, provider ${m.provider}`;
}

/** Content fingerprint of what a method reads: its folder, or for LCM-LoRA the teacher and the LoRA file. */
export async function methodFingerprint(m: Method): Promise<string> {
  validateMethod(m);
  if (m.lcmLora) return `${await modelFingerprint(m.lcmLora.teacherDir)}+${await modelFingerprint(m.lcmLora.loraFile)}`;
  return modelFingerprint(m.dir);
}

/** A measurement cache key (JSON data; hashed by the cache). */
export interface MeasurementKey {
  what: string;
  measurementVersion: number;
  machine: MachineIdentity;
  methods: { id: string; fingerprint: string }[];
  settings: Record<string, unknown>;
}

/**
 * The cache key of a measurement named `what` (e.g. 'quality', 'time') of `methods` on `machine`,
 * with `settings` (everything else the result depends on; model folders among them, such as the
 * evaluator, are given in `models` and enter by content fingerprint).
 */
export async function measurementKey(
  what: string,
  methods: readonly Method[],
  machine: MachineIdentity,
  settings: Record<string, unknown> = {},
  models: Record<string, string> = {},
): Promise<MeasurementKey> {
  if (typeof what !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(what))
    throw new InvalidArgumentError('what', what, 'a name of letters, digits, "-" and "_"');
  if (!Array.isArray(methods)) throw new InvalidArgumentError('methods', methods, 'an array of Method');
  if (machine === null || typeof machine !== 'object' || typeof machine.provider !== 'string') {
    throw new InvalidArgumentError(
      'machine',
      machine,
      'a MachineIdentity {cpu, cores, provider} (machineIdentity(provider))',
    );
  }
  const fingerprints: Record<string, string> = {};
  for (const name of Object.keys(models).sort()) fingerprints[name] = await modelFingerprint(models[name]);
  return {
    what,
    measurementVersion: MEASUREMENT_VERSION,
    machine: { cpu: machine.cpu, cores: machine.cores, provider: machine.provider },
    methods: await Promise.all(
      methods.map(async (m, i) => ({
        id: methodId(validateMethod(m, `methods[${i}]`)),
        fingerprint: await methodFingerprint(m),
      })),
    ),
    settings: { ...settings, models: fingerprints },
  };
}
