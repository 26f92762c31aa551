/**
 * The structured result each notebook emits once: a JSON display output of the mime type
 * RESULT_MIME, which tests and the lecture runner read instead of parsing printed prose.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { sendDisplayBundle } from '../plots/notebook.js';
import { canonicalJson } from './cache.js';

/** Mime type of a notebook's structured result. */
export const RESULT_MIME = 'application/vnd.fewstep.result+json';

/**
 * Emits `result` (JSON data; `notebook` names the notebook) as one display output with the mime
 * type RESULT_MIME (and a one-line text/plain twin). Returns the data sent (also outside a kernel,
 * where nothing is shown).
 */
export function emitResult(result: { notebook: string } & Record<string, unknown>): Record<string, unknown> {
  if (result === null || typeof result !== 'object' || typeof result.notebook !== 'string') {
    throw new InvalidArgumentError('result', result, 'an object with a notebook name and JSON data');
  }
  const data = JSON.parse(canonicalJson(result, 'result')) as Record<string, unknown>;
  sendDisplayBundle({
    data: { [RESULT_MIME]: data, 'text/plain': `structured result of notebook ${result.notebook} (${RESULT_MIME})` },
    metadata: {},
  });
  return data;
}
