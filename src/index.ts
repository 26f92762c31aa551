/** fewstep: the library the course notebooks import. Everything public is re-exported here. */
export * from './core/index.js';
export * from './schedules/index.js';
export * from './samplers/index.js';
export * from './scenes/index.js';
