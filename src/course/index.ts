export * from './plan.js';
export * from './fewerSteps.js';
export * from './measure.js';
export * from './distillation.js';
export * from './exercises.js';
export * from './published.js';
export * from './transfer.js';
