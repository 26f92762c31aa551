import { InvalidArgumentError } from '../core/errors.js';
import { createCMStochasticIterativeScheduler } from './cm.js';
import { createDDIMScheduler } from './ddim.js';
import { createDDPMScheduler } from './ddpm.js';
import { createDPMSolverMultistepScheduler } from './dpmSolverPP.js';
import { createEulerAncestralDiscreteScheduler } from './eulerAncestral.js';
import { createEulerDiscreteScheduler } from './euler.js';
import { createLCMScheduler } from './lcm.js';
import type { Scheduler, SchedulerConfig } from './types.js';

const FACTORIES: Record<string, (config: SchedulerConfig) => Scheduler> = {
  DDPMScheduler: createDDPMScheduler,
  DDIMScheduler: createDDIMScheduler,
  EulerDiscreteScheduler: createEulerDiscreteScheduler,
  EulerAncestralDiscreteScheduler: createEulerAncestralDiscreteScheduler,
  DPMSolverMultistepScheduler: createDPMSolverMultistepScheduler,
  LCMScheduler: createLCMScheduler,
  CMStochasticIterativeScheduler: createCMStochasticIterativeScheduler,
};

export const SCHEDULER_CLASSES = Object.keys(FACTORIES);

/** Builds the scheduler a parsed diffusers scheduler_config.json describes; `_class_name` picks it. */
export function createScheduler(config: SchedulerConfig): Scheduler {
  const name = config?._class_name;
  const factory =
    typeof name === 'string' && Object.prototype.hasOwnProperty.call(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!factory) {
    throw new InvalidArgumentError('_class_name', name, `expected one of ${SCHEDULER_CLASSES.join(', ')}`);
  }
  return factory(config);
}
