// Code that TypeScript accepts but the tslab kernel cannot run, found in a notebook's code cells before
// a kernel sees them (scripts/lint-notebooks.mjs reports them; test/notebooks/tslabPitfalls.test.ts).
//
// A shorthand property, `{ x }`, where `x` is a variable of an EARLIER cell: tslab rewrites references
// to earlier cells' variables, but not a shorthand property, so the cell throws "ReferenceError: x is
// not defined" at run time (checked with tslab 1.0 on this project's kernel). Write `{ x: x }`.
import ts from 'typescript';

/** The names a binding (identifier or destructuring pattern) declares. */
function bindingNames(name, out) {
  if (ts.isIdentifier(name)) out.add(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name, out);
}

/** A cell's code as a TypeScript syntax tree. */
function parse(code) {
  return ts.createSourceFile('cell.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** The value names a cell (code or its syntax tree) declares at its top level: variables, functions, classes, enums, imports. */
export function topLevelNames(code) {
  const sf = typeof code === 'string' ? parse(code) : code;
  const out = new Set();
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bindingNames(d.name, out);
    else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) out.add(st.name.text);
    else if (ts.isImportDeclaration(st) && st.importClause) {
      const c = st.importClause;
      if (c.name) out.add(c.name.text);
      const b = c.namedBindings;
      if (b && ts.isNamespaceImport(b)) out.add(b.name.text);
      else if (b) for (const e of b.elements) out.add(e.name.text);
    }
  }
  return out;
}

/** Every name the cell binds anywhere (parameters and locals too): a shorthand of one of these is the cell's own. */
function namesBoundIn(sf) {
  const out = new Set();
  const visit = (node) => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) && node.name) bindingNames(node.name, out);
    else if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node)) && node.name) out.add(node.name.text);
    else if (ts.isImportClause(node) || ts.isNamespaceImport(node) || ts.isImportSpecifier(node)) {
      if (node.name) out.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * The shorthand properties that name an earlier cell's variable, in code cells given in notebook order
 * (`cells[i]` is the code of the i-th code cell). Returns { cell (index into `cells`), name, line (1-based in the cell) }.
 */
export function crossCellShorthands(cells) {
  if (!Array.isArray(cells) || cells.some((c) => typeof c !== 'string')) {
    throw new TypeError(`cells: expected an array of code strings, got ${typeof cells}`);
  }
  const earlier = new Set();
  const found = [];
  cells.forEach((code, cell) => {
    const sf = parse(code);
    const own = namesBoundIn(sf);
    const visit = (node) => {
      if (ts.isShorthandPropertyAssignment(node)) {
        const name = node.name.text;
        if (earlier.has(name) && !own.has(name)) {
          found.push({ cell, name, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    for (const n of topLevelNames(sf)) earlier.add(n);
  });
  return found;
}
