export * from './betas.js';
