export * from './betas.js';
export * from './timesteps.js';
export * from './sigmas.js';
export * from './trainingSchedule.js';
