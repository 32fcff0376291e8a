/** A small, strict flag parser: unknown flags are errors with a hint, `--` ends the flags. */
import { suggest } from "./did_you_mean.ts";

export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly command = "") {
    super(message);
  }
}

export interface FlagSpec {
  /** Long name without dashes: `config` for `--config`. */
  name: string;
  short?: string;
  /** Takes a value (`--config FILE`); else a boolean switch. */
  value?: boolean;
  /** May be given several times; values collect in a list. */
  repeat?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string | true | string[]>;
  positionals: string[];
  /** Everything after `--`, or null when there was no `--`. */
  rest: string[] | null;
}

/**
 * Parses `argv` against `specs`. A flag not given on the command line is read from the
 * environment as `INTERCEPT_<NAME>` (`--log-level` ← `INTERCEPT_LOG_LEVEL`), for containers.
 */
export function parseArgs(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  options: { command?: string; env?: (name: string) => string | undefined } = {},
): ParsedArgs {
  const command = options.command ?? "";
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((s) => s.short).map((spec) => [spec.short!, spec]));
  const flags = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  let rest: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = splitInline(arg);
    const spec = rawName.startsWith("--")
      ? byName.get(rawName.slice(2))
      : byShort.get(rawName.slice(1));
    if (!spec) {
      const hint = suggest(rawName.replace(/^-+/, ""), [...byName.keys()]);
      throw new UsageError(
        `Unknown flag ${rawName}` + (hint ? `; did you mean --${hint}?` : ""),
        command,
      );
    }
    let value: string | true = true;
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length && argv[i + 1] !== "--") value = argv[++i];
      else throw new UsageError(`Flag --${spec.name} needs a value`, command);
    } else if (inline !== undefined) {
      throw new UsageError(`Flag --${spec.name} takes no value`, command);
    }
    if (spec.repeat) {
      const list = (flags.get(spec.name) as string[] | undefined) ?? [];
      list.push(value as string);
      flags.set(spec.name, list);
    } else if (flags.has(spec.name)) {
      throw new UsageError(`Flag --${spec.name} is given twice`, command);
    } else flags.set(spec.name, value);
  }
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  for (const spec of specs) {
    if (flags.has(spec.name) || !spec.value) continue;
    const fromEnv = env(`INTERCEPT_${spec.name.toUpperCase().replaceAll("-", "_")}`);
    if (fromEnv !== undefined && fromEnv !== "") {
      flags.set(spec.name, spec.repeat ? [fromEnv] : fromEnv);
    }
  }
  return { flags, positionals, rest };
}

function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  return arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

/** A flag that must be a whole number within bounds. */
export function integerFlag(
  args: ParsedArgs,
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  const text = stringFlag(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new UsageError(
      `Flag --${name} must be a whole number from ${bounds.min} to ${bounds.max}, got "${text}"`,
    );
  }
  return value;
}
