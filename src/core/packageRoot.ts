import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The package root: the nearest folder at or above `from` whose package.json is fewstep's. The
 * library runs as dist/<area>/x.js, or as .build/src/<area>/x.js in the tests, so a fixed number of
 * '..' is not enough. Falls back to two folders above this file.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      if (
        (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'fewstep'
      )
        return dir;
    } catch {
      // no package.json here (or not JSON): keep going up
    }
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
}
