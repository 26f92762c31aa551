export * from './types.js';
export * from './front.js';
export * from './naive.js';
export * from './dominance.js';
export * from './hypervolume.js';
export * from './knee.js';
export * from './publishedFront.js';
export * from './diminishingReturns.js';
