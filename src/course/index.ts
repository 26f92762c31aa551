export * from './plan.js';
export * from './speedCode.js';
export * from './paretoSweep.js';
export * from './distillation.js';
export * from './exercises.js';
export * from './transfer.js';
export * from './techniques.js';
