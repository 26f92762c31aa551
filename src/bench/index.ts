export * from './stats.js';
export * from './benchmark.js';
export * from './record.js';
export * from './interleaved.js';
export * from './stages.js';
export * from './lineFit.js';
export * from './sizes.js';
export * from './flops.js';
