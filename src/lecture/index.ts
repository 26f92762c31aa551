/** The lecture's HTML exporter is for `npm run lecture`: import it from its own files. */
export {};
