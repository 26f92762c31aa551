/** The measurement cache the notebooks use. (The HTML exporter is for `npm run lecture`: import it from its own files.) */
export * from './cache.js';
