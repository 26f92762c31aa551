import { renderToString, type StrictFunction } from 'katex';
import { Marked, type Token, type Tokens, type TokenizerAndRendererExtension } from 'marked';
import { escapeHtml } from './html.js';

/** Something the page renderer noticed but did not stop for (bad TeX, an output it cannot show). */
export interface RenderWarning {
  /** Where: e.g. "cell 3" or "cell 5, output 1". */
  where: string;
  message: string;
}

/**
 * TeX as KaTeX HTML (with MathML for screen readers). A parse error renders the TeX source, escaped,
 * in a `.math-error` element whose title is the error, and is added to `warnings`.
 */
export function renderMath(tex: string, displayMode: boolean, warnings: RenderWarning[] = [], where = 'math'): string {
  const strict: StrictFunction = (code, message) => {
    warnings.push({ where, message: `KaTeX (${code}): ${message} in ${JSON.stringify(tex)}` });
    return 'ignore';
  };
  try {
    return renderToString(tex, { displayMode, throwOnError: true, output: 'htmlAndMathml', strict });
  } catch (e) {
    const message = (e as Error).message;
    warnings.push({ where, message: `TeX not rendered: ${message}` });
    const tag = displayMode ? 'div' : 'span';
    return `<${tag} class="math-error" title="${escapeHtml(message)}">${escapeHtml(displayMode ? `$$${tex}$$` : `$${tex}$`)}</${tag}>`;
  }
}

interface MathToken extends Tokens.Generic {
  type: 'mathBlock' | 'mathInline';
  text: string;
  displayMode: boolean;
}

/** `$$ ... $$` on lines of its own (may span lines). */
const BLOCK_MATH = /^ {0,3}\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/;
/** `$$ ... $$` inside a paragraph. */
const INLINE_DISPLAY_MATH = /^\$\$(?!\$)([\s\S]+?)\$\$/;
/**
 * `$ ... $` (Pandoc's rule): no space after the opening `$`, none before the closing one, and the
 * closing one not followed by a digit, so "costs $5 and $6" stays text. `\$` inside is kept.
 */
const INLINE_MATH = /^\$(?![\s$])((?:\\[\s\S]|[^\\$\n])+?)(?<![\s\\])\$(?!\d)/;

/** marked extensions turning `$...$` and `$$...$$` into KaTeX HTML; warnings go to `sink()`. */
function mathExtensions(sink: () => { warnings: RenderWarning[]; where: string }): TokenizerAndRendererExtension[] {
  const render = (token: Tokens.Generic) => {
    const t = token as MathToken;
    const { warnings, where } = sink();
    return renderMath(t.text, t.displayMode, warnings, where) + (t.type === 'mathBlock' ? '\n' : '');
  };
  return [
    {
      name: 'mathBlock',
      level: 'block',
      start: (src: string) => {
        const i = src.search(/^ {0,3}\$\$/m);
        return i < 0 ? undefined : i;
      },
      tokenizer: (src: string): MathToken | undefined => {
        const m = BLOCK_MATH.exec(src);
        return m ? { type: 'mathBlock', raw: m[0], text: m[1].trim(), displayMode: true } : undefined;
      },
      renderer: render,
    },
    {
      name: 'mathInline',
      level: 'inline',
      start: (src: string) => {
        const i = src.indexOf('$');
        return i < 0 ? undefined : i;
      },
      tokenizer: (src: string): MathToken | undefined => {
        const d = INLINE_DISPLAY_MATH.exec(src);
        if (d) return { type: 'mathInline', raw: d[0], text: d[1].trim(), displayMode: true };
        const m = INLINE_MATH.exec(src);
        return m ? { type: 'mathInline', raw: m[0], text: m[1], displayMode: false } : undefined;
      },
      renderer: render,
    },
  ];
}

/**
 * Markdown to HTML, as Jupyter shows a markdown cell: GitHub-flavoured markdown (tables, fenced
 * code, autolinks) with `$...$` and `$$...$$` rendered by KaTeX on the server, so the page needs
 * no script for math. Code spans and code blocks keep their dollars. HTML written in the markdown
 * passes through, as in Jupyter (the notebooks are ours); everything else is escaped by marked.
 */
export class MarkdownRenderer {
  private readonly marked: Marked;
  private current: { warnings: RenderWarning[]; where: string } = { warnings: [], where: 'markdown' };

  constructor() {
    this.marked = new Marked({ gfm: true, breaks: false, async: false });
    this.marked.use({ extensions: mathExtensions(() => this.current) });
  }

  /** Renders `text`; math errors and other problems are pushed to `warnings`, labelled `where`. */
  render(text: string, warnings: RenderWarning[] = [], where = 'markdown'): string {
    this.current = { warnings, where };
    try {
      return this.marked.parse(text, { async: false }) as string;
    } finally {
      this.current = { warnings: [], where: 'markdown' };
    }
  }

  /** The plain text of the first heading in `text` (any level; inline markup dropped, math kept as TeX), or undefined. */
  firstHeading(text: string): string | undefined {
    const heading = this.marked.lexer(text).find((t): t is Tokens.Heading => t.type === 'heading');
    if (!heading) return undefined;
    const plain = inlineText(heading.tokens).replace(/\s+/g, ' ').trim();
    return plain === '' ? undefined : plain;
  }
}

/** The visible text of inline tokens. */
function inlineText(tokens: readonly Token[] | undefined): string {
  if (!tokens) return '';
  return tokens
    .map((t) => {
      const g = t as Tokens.Generic;
      if (t.type === 'mathInline') return `$${(t as MathToken).text}$`;
      if (Array.isArray(g.tokens) && g.tokens.length > 0) return inlineText(g.tokens as Token[]);
      if (t.type === 'br') return ' ';
      if (t.type === 'html') return '';
      return typeof g.text === 'string' ? decodeEntities(g.text) : '';
    })
    .join('');
}

/** marked escapes text tokens' `text` in some versions: undo the five basic entities. */
function decodeEntities(text: string): string {
  return text.replace(
    /&(lt|gt|quot|#39|amp);/g,
    (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] ?? _,
  );
}
