/** Are the committed notebooks what scripts/notebooks/build.mjs makes from their sources? Tolerant of a student's edits. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SourcesCheck {
  /** Notebooks (relative to notebooks/) that build.mjs makes. */
  built: string[];
  /** Notebooks present in notebooks/ (working files). */
  present: string[];
  /** What is wrong (empty when all is well). */
  problems: string[];
  /** What was checked another way (a notebook with local edits: its committed version was checked). */
  notes: string[];
}

function listNotebooks(dir: string): string[] {
  return ['', 'solutions'].flatMap((sub) => {
    const d = path.join(dir, sub);
    return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.ipynb')).map((f) => path.posix.join(sub, f)) : [];
  });
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

/** The stored text of a notebook is stripped: no outputs, no execution counts. */
function strippedProblem(name: string, text: string): string | undefined {
  const nb = JSON.parse(text) as { metadata: { kernelspec?: { name?: string } }; cells: { cell_type: string; outputs?: unknown[]; execution_count?: unknown }[] };
  if (nb.metadata.kernelspec?.name !== 'tslab') return `${name} does not declare the tslab kernel`;
  if (nb.cells.some((c) => c.cell_type === 'code' && ((c.outputs?.length ?? 0) > 0 || c.execution_count !== null))) return `${name} is not stripped of outputs`;
  return undefined;
}

/**
 * Builds every notebook from the working sources into a temp folder and compares each with the
 * working notebook. A working notebook that differs from its committed version (git HEAD) holds local
 * work (a student ran or edited it in Jupyter): it is not an error; its COMMITTED version is checked
 * against a build of the COMMITTED sources instead, and a note says so. A working notebook equal to
 * HEAD but not to the build means a source was edited without running build.mjs: a problem.
 */
export function checkNotebookSources(root: string): SourcesCheck {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fewstep-nb-build-'));
  const problems: string[] = [];
  const notes: string[] = [];
  try {
    const builder = path.join(root, 'scripts', 'notebooks', 'build.mjs');
    execFileSync(process.execPath, [builder, '--out', path.join(tmp, 'work')], { stdio: 'pipe' });
    const built = listNotebooks(path.join(tmp, 'work'));
    const present = listNotebooks(path.join(root, 'notebooks'));
    let committedBuild: string | undefined;
    const buildCommitted = (): string | undefined => {
      if (committedBuild !== undefined) return committedBuild;
      const archive = path.join(tmp, 'head.tar');
      if (git(root, ['archive', '-o', archive, 'HEAD', 'scripts/notebooks']) === undefined) return undefined;
      const headDir = path.join(tmp, 'head');
      execFileSync('mkdir', ['-p', headDir]);
      execFileSync('tar', ['-xf', archive, '-C', headDir]);
      execFileSync(process.execPath, [path.join(headDir, 'scripts', 'notebooks', 'build.mjs'), '--out', path.join(tmp, 'head-built')], { stdio: 'pipe' });
      committedBuild = path.join(tmp, 'head-built');
      return committedBuild;
    };
    for (const name of built) {
      const file = path.join(root, 'notebooks', name);
      const expected = readFileSync(path.join(tmp, 'work', name), 'utf8');
      const working = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (working === expected) continue;
      const committed = git(root, ['show', `HEAD:notebooks/${name}`]);
      if (working !== undefined && committed !== undefined && working !== committed) {
        const headBuilt = buildCommitted();
        const headExpected = headBuilt && existsSync(path.join(headBuilt, name)) ? readFileSync(path.join(headBuilt, name), 'utf8') : undefined;
        if (headExpected === committed) notes.push(`notebooks/${name} has local edits (e.g. run in Jupyter): checked its committed version instead`);
        else problems.push(`notebooks/${name}: the committed version is not what build.mjs makes from the committed source`);
        continue;
      }
      problems.push(`notebooks/${name} is out of date: run node scripts/notebooks/build.mjs`);
    }
    for (const name of present) {
      const working = readFileSync(path.join(root, 'notebooks', name), 'utf8');
      const committed = git(root, ['show', `HEAD:notebooks/${name}`]);
      const text = committed !== undefined && committed !== working ? committed : working;
      const p = strippedProblem(name, text);
      if (p) problems.push(p);
    }
    return { built, present, problems, notes };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
