import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MarkdownRenderer, renderMath, type RenderWarning } from '../../src/lecture/markdown.js';
import { escapeHtml, formatBytes, formatDuration, stripAnsi } from '../../src/lecture/html.js';

const md = new MarkdownRenderer();

describe('lecture markdown: text', () => {
  test('headings, emphasis, lists, tables and fenced code render as HTML', () => {
    const html = md.render(
      '# Title\n\nSome *emphasis* and **bold**.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```ts\nconst x = 1 < 2;\n```\n',
    );
    assert.match(html, /<h1>Title<\/h1>/);
    assert.match(html, /<em>emphasis<\/em>/);
    assert.match(html, /<li>one<\/li>/);
    assert.match(html, /<table>[\s\S]*<td>1<\/td>/);
    assert.match(html, /<pre><code class="language-ts">const x = 1 &lt; 2;/);
  });

  test('the first heading of any level is the title, as plain text with inline code and math kept as text', () => {
    assert.equal(
      md.firstHeading('Intro text\n\n## The `DDIM` step, *fast*: $x_t$\n\n# Later'),
      'The DDIM step, fast: $x_t$',
    );
    assert.equal(md.firstHeading('Costs & benefits\n===\n'), 'Costs & benefits');
    assert.equal(md.firstHeading('no heading here'), undefined);
  });
});

describe('lecture markdown: math', () => {
  test('inline $...$ becomes KaTeX HTML with MathML, not text', () => {
    const html = md.render('The noise level $\\sqrt{1 - \\bar\\alpha_t}$ falls.');
    assert.match(html, /<span class="katex"><span class="katex-mathml"><math/);
    assert.ok(!html.includes('$'), 'no dollar signs left');
    assert.ok(!html.includes('<em>'), 'underscores inside math are not emphasis');
  });

  test('$$...$$ on its own lines is display math, also across lines', () => {
    const html = md.render('Before.\n\n$$\n\\bar\\alpha_t = \\prod_{s=1}^{t} \\alpha_s\n$$\n\nAfter.');
    assert.match(html, /<span class="katex-display">/);
    assert.match(html, /<p>Before.<\/p>/);
    assert.match(html, /<p>After.<\/p>/);
  });

  test('$$...$$ inside a paragraph is display math too', () => {
    assert.match(md.render('so $$x^2$$ holds'), /<p>so <span class="katex-display">/);
  });

  test('dollars in code spans and code blocks, prices and escaped dollars stay text', () => {
    const html = md.render('Use `$x$` here; it costs $5 and $6; a \\$ sign.\n\n```\necho $HOME $PATH\n```\n');
    assert.ok(!html.includes('class="katex"'), html);
    assert.match(html, /<code>\$x\$<\/code>/);
    assert.match(html, /costs \$5 and \$6; a \$ sign/);
    assert.match(html, /echo \$HOME \$PATH/);
  });

  test('bad TeX shows its source escaped in a .math-error element and is reported, the rest still renders', () => {
    const warnings: RenderWarning[] = [];
    const html = md.render('Good $a$, bad $\\frac{1}{<b>$.', warnings, 'cell 4');
    assert.match(html, /class="katex"/);
    assert.match(html, /<span class="math-error" title="[^"]+">\$\\frac\{1\}\{&lt;b&gt;\$<\/span>/);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].where, 'cell 4');
    assert.match(warnings[0].message, /TeX not rendered/);
  });

  test('renderMath in display mode uses a block element for errors', () => {
    const warnings: RenderWarning[] = [];
    assert.match(renderMath('\\undefinedmacro{', true, warnings), /^<div class="math-error"/);
    assert.equal(warnings.length, 1);
  });
});

describe('lecture html helpers', () => {
  test('escapeHtml escapes the five characters that matter in content and attributes', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  test('stripAnsi removes colour codes and keeps the text', () => {
    assert.equal(stripAnsi('\u001b[0;31mError\u001b[0m: bad'), 'Error: bad');
  });

  test('durations and sizes read naturally', () => {
    assert.equal(formatDuration(850.4), '850 ms');
    assert.equal(formatDuration(12_345), '12.3 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(44_000), '43 KB');
    assert.equal(formatBytes(5_040_000), '4.8 MB');
  });
});
