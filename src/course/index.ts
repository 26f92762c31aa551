export * from './plan.js';
export * from './fewerSteps.js';
