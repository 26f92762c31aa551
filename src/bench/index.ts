export * from './stats.js';
export * from './benchmark.js';
export * from './record.js';
