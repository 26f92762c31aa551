import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { MissingResourceError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomicFile.js';
import { LECTURE_ASSETS } from './page.js';
import { LECTURE_CSS } from './style.js';

/** A file the exporter wrote and its size. */
export interface WrittenFile {
  file: string;
  bytes: number;
}

/** Resolves a file inside an installed package, or throws MissingResourceError saying to run npm install. */
function packageFile(request: string): string {
  try {
    return require.resolve(request);
  } catch {
    throw new MissingResourceError(
      request,
      `${request.split('/')[0]} is not installed: run \`npm install\` in the project root.`,
    );
  }
}

/**
 * KaTeX's stylesheet with only the woff2 font sources (every browser that runs plotly.js 3 reads
 * woff2), so the copied fonts folder stays small and no `url()` points at a file we did not copy.
 */
export function katexCssWoff2Only(css: string): string {
  return css.replace(/,\s*url\([^)]*\.woff\)\s*format\("woff"\)|,\s*url\([^)]*\.ttf\)\s*format\("truetype"\)/g, '');
}

/**
 * Writes what every page links into `<outDir>/assets/`: plotly.min.js (once for the whole lecture),
 * KaTeX's CSS and its woff2 fonts, and the lecture stylesheet. All local files: the pages work
 * offline and from file://. Returns the files written.
 */
export async function writeLectureAssets(outDir: string): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  const put = async (relative: string, data: string | Uint8Array) => {
    const file = path.join(outDir, ...relative.split('/'));
    await writeFileAtomic(file, data);
    written.push({ file, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength });
  };
  await put(LECTURE_ASSETS.plotly, await fsp.readFile(packageFile('plotly.js-dist-min/plotly.min.js')));
  const katexDist = path.dirname(packageFile('katex/dist/katex.min.css'));
  await put(
    LECTURE_ASSETS.katexCss,
    katexCssWoff2Only(await fsp.readFile(path.join(katexDist, 'katex.min.css'), 'utf8')),
  );
  const fontsDir = path.posix.join(path.posix.dirname(LECTURE_ASSETS.katexCss), 'fonts');
  for (const font of (await fsp.readdir(path.join(katexDist, 'fonts'))).filter((f) => f.endsWith('.woff2')).sort()) {
    await put(`${fontsDir}/${font}`, await fsp.readFile(path.join(katexDist, 'fonts', font)));
  }
  await put(LECTURE_ASSETS.css, LECTURE_CSS);
  return written;
}
