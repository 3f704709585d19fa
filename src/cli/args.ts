/**
 * Flag parsing on top of node:util parseArgs. parseArgs hands back strings;
 * these helpers turn them into checked numbers and choices, so every command
 * rejects a bad value with an error that names the flag and what it expected
 * instead of training for ten minutes on NaN.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
export type Flags = Record<string, string | boolean | undefined>;

/** A user mistake on the command line: main prints its message and the usage, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * `--steps -5` as `--steps=-5`: parseArgs reads a value that starts with a
 * dash as another flag and answers "argument is ambiguous"; a number is
 * what the user meant, and the flag's own check then names it (≥ 1, got -5).
 */
function joinNegativeValues(argv: readonly string[], options: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d|^-\.\d|^-Infinity$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Parses argv strictly: unknown flags and stray positionals are errors naming them. */
export function parseFlags(command: string, argv: readonly string[], options: FlagSpec, positionals = 0): { flags: Flags; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: positionals > 0 });
  } catch (e) {
    throw new UsageError(`dsmoe ${command}: ${(e as Error).message}`);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`dsmoe ${command}: unexpected argument '${parsed.positionals[positionals]}'`);
  }
  return { flags: parsed.values as Flags, positionals: parsed.positionals };
}

/**
 * A subcommand's flags, or null after printing its usage for --help (the
 * command then returns at once): the opening every command shares.
 */
export function commandFlags(command: string, argv: readonly string[], options: FlagSpec, usage: string): Flags | null {
  const { flags } = parseFlags(command, argv, options);
  if (bool(flags, 'help')) {
    process.stdout.write(`${usage}\n`);
    return null;
  }
  return flags;
}

export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number flag, checked against bounds; `integer` rejects 2.5 where a count is meant. */
export function num(flags: Flags, name: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = str(flags, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const what = opts.integer ? 'an integer' : 'a number';
  // Decimal only: Number() also takes '0x10', '0b11', ' 5 ' and '' (as 0), none of which a person means.
  if (!DECIMAL.test(raw) || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
    throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  }
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name} must be ≥ ${opts.min}, got ${raw}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name} must be ≤ ${opts.max}, got ${raw}`);
  return v;
}

/** A flag whose value must be one of `choices`. */
export function choice<T extends string>(flags: Flags, name: string, choices: readonly T[]): T | undefined {
  const raw = str(flags, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got '${raw}'`);
  }
  return raw as T;
}

/** A comma-separated list of numbers, e.g. --thresholds 0.2,0.5,1. */
export function numList(flags: Flags, name: string, opts: { min?: number; integer?: boolean } = {}): number[] | undefined {
  const raw = str(flags, name);
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const v = num({ [name]: part }, name, opts);
    if (v === undefined) throw new UsageError(`--${name}: empty item in '${raw}'`);
    return v;
  });
}

export function bool(flags: Flags, name: string): boolean {
  return flags[name] === true;
}
