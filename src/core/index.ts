export * from './errors.js';
export * from './rng.js';
export * from './packageRoot.js';
export * from './indices.js';
