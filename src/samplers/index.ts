export * from './types.js';
export * from './common.js';
export * from './registry.js';
export * from './loop.js';
