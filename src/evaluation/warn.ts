/**
 * Warnings that must reach a person whichever way the code runs: in a notebook cell (the cell's
 * stderr output) and on the terminal of the process that runs the notebook (`npm run lecture`
 * forwards cell stderr lines that start with WARNING_PREFIX to its own stderr; see src/runner).
 */

/** Lines starting with this are warnings the lecture runner repeats on its terminal. */
export const WARNING_PREFIX = 'fewstep warning:';

/**
 * Writes `line` (prefixed with WARNING_PREFIX when it lacks it) to stderr through console.error:
 * inside a tslab kernel that is the cell's stderr output, which the lecture runner forwards to the
 * terminal; in a command-line tool it is the terminal itself.
 */
export function warnEverywhere(line: string): void {
  const text = line.startsWith(WARNING_PREFIX) ? line : `${WARNING_PREFIX} ${line}`;
  console.error(text);
}

/** The warning lines (those starting with WARNING_PREFIX) of a block of stderr text. */
export function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith(WARNING_PREFIX));
}
