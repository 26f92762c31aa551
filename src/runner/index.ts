/** Headless notebook runner: the Jupyter messaging protocol over zeromq to a tslab kernel. Not part of the notebook API. */
export * from './errors.js';
export * from './wire.js';
export * from './connection.js';
export * from './notebookFile.js';
export * from './outputs.js';
export * from './kernel.js';
export * from './runNotebook.js';
