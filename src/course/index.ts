export * from './plan.js';
export * from './fewerSteps.js';
export * from './speed.js';
export * from './distillation.js';
export * from './exercises.js';
export * from './published.js';
export * from './transfer.js';
