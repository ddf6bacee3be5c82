// One declarative option table per command: parsing (node's util.parseArgs), help text, and errors with suggestions.
import { parseArgs } from 'node:util';
import { ClozeError } from '../core/errors';
import { cliVersion } from './paths';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in the help: N, DIR, GLOB (string options; default VALUE). */
  readonly arg?: string;
  readonly short?: string;
  /** May be given more than once; the values arrive as a list. */
  readonly multiple?: boolean;
  readonly help: string;
  /** The default as the help shows it (the command applies defaults itself, so the table cannot drift from the code). */
  readonly shown?: string;
}

export interface CommandSpec<O extends Readonly<Record<string, OptionSpec>>> {
  readonly name: string;
  /** The positionals in the usage line, e.g. `<dir-or-file…>`. */
  readonly args: string;
  /** How many positionals the command takes. */
  readonly positionals: { readonly min: number; readonly max?: number };
  /** A paragraph under the usage line. */
  readonly description?: string;
  readonly options: O;
  /** Extra lines at the end of the help (examples, groups of options). */
  readonly notes?: string;
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] | undefined : string | undefined;
export type OptionValues<O extends Readonly<Record<string, OptionSpec>>> = { -readonly [K in keyof O]: ValueOf<O[K]> };

export interface Parsed<O extends Readonly<Record<string, OptionSpec>>> {
  readonly values: OptionValues<O>;
  readonly positionals: string[];
}

/** ONNX Runtime's thread count, as every command that runs a model takes it. */
export const THREADS = { type: 'string', arg: 'N', help: 'ONNX Runtime threads' } as const satisfies OptionSpec;

/** Options every command takes. */
const COMMON: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', help: 'the version of cloze' },
};

function flag(name: string, o: OptionSpec): string {
  const value = o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : '';
  return `${o.short ? `-${o.short}, ` : ''}--${name}${value}`;
}

/** The usage line: the command, its positionals and its options in brief. */
export function usageLine<O extends Readonly<Record<string, OptionSpec>>>(spec: CommandSpec<O>): string {
  return `usage: cloze ${spec.name} ${spec.args} [options]`.replace(/  +/g, ' ');
}

/** The full help, generated from the table. */
export function helpText<O extends Readonly<Record<string, OptionSpec>>>(spec: CommandSpec<O>): string {
  const all = { ...spec.options, ...COMMON };
  const rows = Object.entries(all).map(([name, o]) => [flag(name, o), `${o.help}${o.multiple ? ' (repeatable)' : ''}${o.shown !== undefined ? ` (default ${o.shown})` : ''}`]);
  const width = Math.min(28, Math.max(...rows.map(([f]) => f.length)) + 2);
  const lines = rows.map(([f, h]) => (f.length + 2 > width ? `  ${f}\n  ${' '.repeat(width)}${h}` : `  ${f.padEnd(width)}${h}`));
  return [usageLine(spec), ...(spec.description ? ['', spec.description] : []), '', 'options:', ...lines, ...(spec.notes ? ['', spec.notes] : [])].join('\n');
}

/** Edit distance counting a swap of two neighbours as one edit (--stpes → --steps), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known name closest to `name`, if it is close enough to be a typo (or `name` is a prefix of it). */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of known) {
    const d = n.startsWith(name) && name.length >= 2 ? 0.5 : distance(name, n);
    if (!best || d < best.d) best = { n, d };
  }
  return best && best.d <= Math.max(1, Math.min(3, Math.floor(name.length / 3))) ? best.n : undefined;
}

/** Thrown by parseCommand's checks: printed with the usage, to stderr, exit status 2. */
class UsageProblem extends Error {}

/**
 * Parses `argv` by the table. `--help` prints the help (stdout) and `--version` the version; a wrong command line
 * (unknown option, missing value, wrong number of positionals) prints what is wrong and the usage to stderr. In those
 * cases the result is the exit status to return; otherwise the values and positionals.
 */
export function parseCommand<O extends Readonly<Record<string, OptionSpec>>>(spec: CommandSpec<O>, argv: readonly string[]): Parsed<O> | number {
  const all: Record<string, OptionSpec> = { ...spec.options, ...COMMON };
  try {
    for (const a of argv) {
      if (a === '--') break;
      if (!a.startsWith('--')) continue;
      const name = a.slice(2).split('=')[0];
      if (!(name in all)) {
        const near = suggest(name, Object.keys(all));
        throw new UsageProblem(`unknown option --${name}${near ? ` (did you mean --${near}?)` : ''}`);
      }
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        allowPositionals: true,
        strict: true,
        options: Object.fromEntries(Object.entries(all).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }])),
      });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageProblem(readableParseError(e as Error));
      throw e;
    }
    const values = parsed.values as Record<string, unknown>;
    if (values.help) {
      console.log(helpText(spec));
      return 0;
    }
    if (values.version) {
      console.log(cliVersion());
      return 0;
    }
    for (const [k, o] of Object.entries(spec.options)) if (o.type === 'boolean' && values[k] === undefined) values[k] = false;
    const n = parsed.positionals.length;
    const { min, max } = spec.positionals;
    if (n < min) throw new UsageProblem(`missing ${spec.args.trim() || 'arguments'}`);
    if (max !== undefined && n > max) throw new UsageProblem(max === 0 ? `takes no ${spec.args || 'arguments'}, got "${parsed.positionals[0]}"` : `takes ${max === 1 ? 'one' : `at most ${max}`} ${spec.args}, got ${n}`);
    return { values: values as OptionValues<O>, positionals: parsed.positionals };
  } catch (e) {
    if (!(e instanceof UsageProblem)) throw e;
    return commandLineProblem(spec, e.message);
  }
}

/**
 * A command's `run(argv)`: parses by the table (help, version and command-line problems are answered there, with their
 * exit status) and runs `body` on the values and positionals.
 */
export function commandRunner<O extends Readonly<Record<string, OptionSpec>>>(spec: CommandSpec<O>, body: (parsed: Parsed<O>) => Promise<number>): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const parsed = parseCommand(spec, argv);
    return typeof parsed === 'number' ? parsed : body(parsed);
  };
}

/** A command line that cannot be run as given: what is wrong and the usage, to stderr; returns exit status 2. */
export function commandLineProblem<O extends Readonly<Record<string, OptionSpec>>>(spec: CommandSpec<O>, message: string): number {
  console.error(`cloze ${spec.name}: ${message}\n\n${usageLine(spec)}\nRun "cloze ${spec.name} --help" for every option.`);
  return 2;
}

/** util.parseArgs' messages, shortened to what the user typed and what it needs. */
function readableParseError(e: Error): string {
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(e.message);
  if (missing) return `${missing[1]} needs a value`;
  const noValue = /Option '(--[\w-]+)' does not take an argument/.exec(e.message);
  if (noValue) return `${noValue[1]} takes no value`;
  const short = /Unknown option '(-\w)'/.exec(e.message);
  if (short) return `unknown option ${short[1]}`;
  return e.message.split('\n')[0];
}

/** An argument that parsed but makes no sense (a number out of range, an unknown choice): exit 1 with this message. */
export function usageError(message: string): ClozeError {
  return new ClozeError('usage', message);
}

/** A flag's value as a number in range, or undefined when absent; anything else is a usage error naming the flag. */
export function numberOption(flagName: string, raw: string | undefined, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(v) && (!opts.int || Number.isInteger(v)) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
  if (!ok) {
    const range = opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` : opts.min !== undefined ? ` ≥ ${opts.min}` : opts.max !== undefined ? ` ≤ ${opts.max}` : '';
    // A bounded count reads as "a whole number from 1 to 8"; an open one as "an integer ≥ 0".
    const kind = opts.int ? (opts.min !== undefined && opts.max !== undefined ? 'a whole number' : 'an integer') : 'a number';
    throw usageError(`--${flagName} must be ${kind}${range}, not "${raw}".`);
  }
  return v;
}

/** A flag's value from a fixed list, or undefined when absent. */
export function choiceOption<C extends string>(flagName: string, raw: string | undefined, choices: readonly C[]): C | undefined {
  if (raw === undefined) return undefined;
  const c = choices.find((x) => x === raw);
  if (c === undefined) {
    const near = suggest(raw, choices);
    throw usageError(`--${flagName} must be ${choices.slice(0, -1).join(', ')}${choices.length > 1 ? ' or ' : ''}${choices[choices.length - 1]}, not "${raw}"${near ? ` (did you mean ${near}?)` : ''}.`);
  }
  return c;
}
