export * from './stats.js';
export * from './benchmark.js';
export * from './record.js';
export * from './interleaved.js';
