import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import type { ModelFamily } from './registry.js';

/** A model's recommended sampling settings. */
export interface ModelDefaults {
  steps: number;
  guidance: number;
}

/** The usual settings of each family (SD 1.5: 25 steps, guidance 7.5; LCM: 4 steps, 8.5; SD-Turbo: 1 step, no guidance). */
export const FAMILY_DEFAULTS: Readonly<Record<ModelFamily, Readonly<ModelDefaults>>> = Object.freeze({
  sd: Object.freeze({ steps: 25, guidance: 7.5 }),
  lcm: Object.freeze({ steps: 4, guidance: 8.5 }),
  turbo: Object.freeze({ steps: 1, guidance: 0 }),
});

/**
 * The model's recommended steps and guidance: `model_index.json`'s optional `_fewstep_defaults`
 * object (diffusers ignores keys that start with `_`; the shipped scenes models carry it because they
 * were trained and evaluated at guidance 3, far from SD's 7.5), else the family's usual values.
 * A malformed `_fewstep_defaults` throws, naming the field.
 */
export function modelDefaults(modelIndex: Record<string, unknown>, family: ModelFamily): ModelDefaults {
  const base = FAMILY_DEFAULTS[family];
  const own = modelIndex._fewstep_defaults;
  if (own === undefined) return { ...base };
  if (own === null || typeof own !== 'object' || Array.isArray(own)) {
    throw new InvalidArgumentError(
      'model_index.json _fewstep_defaults',
      own,
      'an object like {"steps": 4, "guidance": 3}',
    );
  }
  const o = own as Record<string, unknown>;
  return {
    steps:
      o.steps === undefined ? base.steps : requireInteger('model_index.json _fewstep_defaults.steps', o.steps, 1, 1000),
    guidance:
      o.guidance === undefined
        ? base.guidance
        : requireFinite('model_index.json _fewstep_defaults.guidance', o.guidance, 0, 50),
  };
}
