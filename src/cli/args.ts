/**
 * The one command-line parser of every fewstep CLI (generate, fetch-model, setup:cuda, doctor, bench,
 * bench:gpu, eval:models, lecture, kernel, exportScenes, ...): node:util's parseArgs in strict mode,
 * with messages that name the flag and list the allowed ones, `--help` / `-h` on every command, strict
 * decimal numbers, and one exit path (`runCli`) that prints one clean line per error (the stack only
 * with FEWSTEP_DEBUG=1).
 */
import { parseArgs } from 'node:util';
import { FewstepError, InvalidArgumentError, MissingResourceError } from '../core/errors.js';

/** One option of a command. */
export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[];
  /** What the value is, for the usage line (`--steps <n>`); string options only. */
  value?: string;
  /** One line for `--help`. */
  help: string;
}

/** A command: its name, what it does, its options and its positional arguments. */
export interface CliSpec<T extends Record<string, CliOption> = Record<string, CliOption>> {
  /** How users start it, e.g. `npm run generate --`. */
  command: string;
  /** One line saying what the command does. */
  summary: string;
  options: T;
  /** Positional arguments (none when omitted): `name` is the field errors name, `value` what usage shows. */
  positionals?: { name: string; value?: string; min: number; max: number };
}

type OptionValue<O extends CliOption> = O['type'] extends 'boolean'
  ? O['multiple'] extends true
    ? boolean[]
    : boolean
  : O['multiple'] extends true
    ? string[]
    : string;

/** Parsed option values (undefined when absent and without a default). */
export type CliValues<T extends Record<string, CliOption>> = { [K in keyof T]: OptionValue<T[K]> | undefined };

/** Thrown by parseCli when `--help` or `-h` was given; runCli prints `text` and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/** Defines a command spec with its option types kept literal (so parseCli's values are typed). */
export function defineCli<const T extends Record<string, CliOption>>(spec: CliSpec<T>): CliSpec<T> {
  return spec;
}

function synopsisOf(name: string, o: CliOption): string {
  const flag = o.type === 'string' ? `--${name} <${o.value ?? 'value'}>` : `--${name}`;
  return `[${flag}]${o.multiple ? '...' : ''}`;
}

/** The usage line: `npm run x -- <repo> [--a <n>] [--b]... [--help]`. */
export function usageLine(spec: CliSpec): string {
  const pos = spec.positionals;
  const shown = pos?.value ?? pos?.name;
  const posText = pos ? (pos.min > 0 ? `<${shown}>` : `[${shown}]`) + (pos.max > 1 ? '...' : '') : '';
  const opts = Object.entries(spec.options).map(([n, o]) => synopsisOf(n, o));
  return ['usage:', spec.command, posText, ...opts, '[--help]'].filter((s) => s !== '').join(' ');
}

/** The `--help` text: summary, usage line and one line per option. */
export function helpText(spec: CliSpec): string {
  const rows = Object.entries(spec.options).map(([n, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${n}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`;
    const def = o.default !== undefined && o.default !== false ? ` (default ${JSON.stringify(o.default)})` : '';
    return [flag, `${o.help}${o.multiple ? ' (repeatable)' : ''}${def}`];
  });
  rows.push(['-h, --help', 'print this help and exit']);
  const width = Math.max(...rows.map((r) => r[0].length));
  return [
    spec.summary,
    '',
    usageLine(spec),
    '',
    'options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
  ].join('\n');
}

function allowedOptions(spec: CliSpec): string {
  return Object.entries(spec.options)
    .map(([n, o]) => synopsisOf(n, o))
    .concat('[--help]')
    .join(' ');
}

/**
 * Parses `argv` (without node and script) against `spec`. Unknown options, options given twice (unless
 * repeatable), missing values, values given to switches and unexpected positionals throw
 * InvalidArgumentError naming the flag and listing the allowed ones; `--help` / `-h` throws HelpRequested.
 */
export function parseCli<T extends Record<string, CliOption>>(
  spec: CliSpec<T>,
  argv: readonly string[],
): { values: CliValues<T>; positionals: string[] } {
  const nodeOptions: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean | string[] }
  > = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options)) {
    nodeOptions[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    };
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options: nodeOptions,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) throw new HelpRequested(helpText(spec));
  const seen = new Set<string>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const o = spec.options[t.name] as CliOption | undefined;
    if (!o)
      throw new InvalidArgumentError(
        'option',
        t.rawName,
        `${spec.command.replace(/ --$/, '')} has no such option; expected ${allowedOptions(spec)}`,
      );
    if (seen.has(t.name) && !o.multiple)
      throw new InvalidArgumentError(t.rawName, t.value ?? true, 'given twice; give it once');
    seen.add(t.name);
    if (o.type === 'boolean' && t.value !== undefined) {
      throw new InvalidArgumentError(
        t.rawName,
        t.value,
        `no value: ${t.rawName} is a switch (give it, or leave it out)`,
      );
    }
    if (o.type === 'string') {
      if (t.value === undefined)
        throw new InvalidArgumentError(
          t.rawName,
          undefined,
          `a value after ${t.rawName} (${t.rawName} <${o.value ?? 'value'}>)`,
        );
      // `--prompt --steps 4` would take "--steps" as the prompt: refuse option-like values unless inline (`--prompt=--x`)
      if (!t.inlineValue && t.value.startsWith('-') && !/^-\d|^-\.\d/.test(t.value)) {
        throw new InvalidArgumentError(
          t.rawName,
          undefined,
          `a value after ${t.rawName}, not the option ${t.value} (write ${t.rawName}=${t.value} if that is the value)`,
        );
      }
    }
  }
  const pos = spec.positionals;
  if (!pos && positionals.length > 0) {
    throw new InvalidArgumentError(
      'argument',
      positionals[0],
      `${spec.command.replace(/ --$/, '')} takes no positional arguments; expected ${allowedOptions(spec)}`,
    );
  }
  if (pos && (positionals.length < pos.min || positionals.length > pos.max)) {
    const count = pos.min === pos.max ? `exactly ${pos.min}` : `${pos.min} to ${pos.max}`;
    throw new InvalidArgumentError(
      pos.name,
      positionals.join(' ') || undefined,
      `${count} ${pos.value ?? pos.name} argument(s); ${usageLine(spec)}`,
    );
  }
  // values from the checked tokens (node's strict mode would also refuse negative numbers such as `--guidance -1`)
  const values: Record<string, unknown> = {};
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const o = spec.options[t.name] as CliOption;
    const v = o.type === 'boolean' ? true : t.value;
    if (o.multiple) ((values[t.name] as unknown[] | undefined) ?? (values[t.name] = [])).push(v);
    else values[t.name] = v;
  }
  for (const [name, o] of Object.entries(spec.options)) {
    if (values[name] === undefined && o.default !== undefined)
      values[name] = Array.isArray(o.default) ? [...o.default] : o.default;
  }
  return { values: values as CliValues<T>, positionals };
}

const DECIMAL_INTEGER = /^[0-9]+$/;
const DECIMAL_NUMBER = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function rangeText(min: number, max: number): string {
  const hi = max === Number.MAX_SAFE_INTEGER ? '2^53 - 1 = 9007199254740991' : String(max);
  return `[${min}, ${hi}]`;
}

/** A strict decimal integer in [min, max] (no hex, no exponent, no spaces); InvalidArgumentError names the flag. */
export function parseIntegerArg(
  flag: string,
  text: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
  why = '',
): number {
  const n = Number(text);
  if (!DECIMAL_INTEGER.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(
      flag,
      text,
      `expected a decimal integer in ${rangeText(min, max)}${why ? ` (${why})` : ''}`,
    );
  }
  return n;
}

/** A strict decimal number in [min, max] (digits, one point, optional exponent); InvalidArgumentError names the flag. */
export function parseNumberArg(flag: string, text: string, min = -Infinity, max = Infinity): number {
  const n = Number(text);
  if (!DECIMAL_NUMBER.test(text) || !Number.isFinite(n) || n < min || n > max) {
    throw new InvalidArgumentError(flag, text, `expected a decimal number in [${min}, ${max}]`);
  }
  return n;
}

/** Exit code of bad arguments and missing inputs (what the user must fix); other failures exit 1. */
export const EXIT_USAGE = 2;

/** Whether FEWSTEP_DEBUG asks for stacks. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.FEWSTEP_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * Prints an error the way every CLI does (one line `<name>: <message>`, the stack only with
 * FEWSTEP_DEBUG=1) and returns the exit code: 0 for HelpRequested (the help goes to stdout), 2 for bad
 * arguments and missing inputs, 1 otherwise.
 */
export function reportCliError(
  name: string,
  e: unknown,
  io: { log: (s: string) => void; error: (s: string) => void } = console,
): number {
  if (e instanceof HelpRequested) {
    io.log(e.text);
    return 0;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (debugEnabled()) io.error(`${name}: ${err.stack ?? err.message}`);
  else {
    const hint = err instanceof FewstepError ? '' : ' (FEWSTEP_DEBUG=1 shows the stack)';
    io.error(`${name}: ${err instanceof FewstepError ? '' : `${err.name}: `}${err.message}${hint}`);
  }
  return err instanceof InvalidArgumentError || err instanceof MissingResourceError ? EXIT_USAGE : 1;
}

/**
 * Fewest bytes of command line that ONNX Runtime 1.29 was seen to crash on (segmentation fault, exit
 * 139, no message): session creation recurses deeper as argv grows; about 28-30 KB on Linux with an
 * 8 MB stack. CLIs refuse command lines over MAX_ARGV_BYTES, well below it.
 */
export const ORT_ARGV_CRASH_BYTES = 28_000;

/** Largest command line (bytes of process.argv, NUL-separated) a fewstep CLI accepts. */
export const MAX_ARGV_BYTES = 16 * 1024;

/** Throws InvalidArgumentError when the command line is longer than MAX_ARGV_BYTES; `hint` says what to do instead. */
export function checkArgvSize(argv: readonly string[] = process.argv, hint = ''): void {
  const bytes = argv.reduce((sum, a) => sum + Buffer.byteLength(a) + 1, 0);
  if (bytes > MAX_ARGV_BYTES) {
    throw new InvalidArgumentError(
      'command line',
      `${bytes} bytes`,
      `at most ${MAX_ARGV_BYTES} bytes: ONNX Runtime 1.29 crashes (segmentation fault) when the command line passes about ` +
        `${Math.round(ORT_ARGV_CRASH_BYTES / 1000)} KB${hint ? `; ${hint}` : ''}`,
    );
  }
}

/**
 * Runs a CLI's main: checks the command line's size, then exits with main's code (0 when it returns
 * nothing) or with reportCliError's code when it throws.
 */
export function runCli(name: string, main: () => Promise<number | void> | number | void, argvHint = ''): void {
  Promise.resolve()
    .then(() => {
      checkArgvSize(process.argv, argvHint);
      return main();
    })
    .then(
      (code) => {
        process.exitCode = code ?? 0;
      },
      (e: unknown) => {
        process.exitCode = reportCliError(name, e);
      },
    );
}
