/**
 * Policy regexes: RE2 syntax, matched in time linear in the input. re2js (a JavaScript port of
 * RE2) parses and compiles the pattern; `LazyDfa` runs the compiled program. Patterns RE2
 * cannot run in linear time (backreferences, lookaround) are refused with a reason.
 */
import { RE2JS, RE2JSException } from "re2js";
import { LazyDfa, type Prog } from "./regex_dfa.ts";

/** Bounds that keep one test at most O(input × MAX_REGEX_INSTRUCTIONS). */
export const MAX_REGEX_LENGTH = 4_096;
export const MAX_REGEX_INSTRUCTIONS = 10_000;

export interface LinearRegex {
  /** True when the pattern matches somewhere in `input` (unanchored, like RegExp.test). */
  test(input: string): boolean;
}

/** Compiles `pattern`, or returns an error message naming what is wrong with it. */
export function compileLinearRegex(pattern: string): LinearRegex | string {
  const shown = JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 77)}...` : pattern);
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `Invalid regex ${shown}: longer than ${MAX_REGEX_LENGTH} characters`;
  }
  let prog: Prog;
  try {
    prog = RE2JS.compile(pattern).re2().prog as Prog;
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    return `Invalid regex ${shown}: ${explain(pattern, error.message)}`;
  }
  if (prog.inst.length > MAX_REGEX_INSTRUCTIONS) {
    return `Invalid regex ${shown}: too large (${prog.inst.length} instructions once compiled; ` +
      `the limit is ${MAX_REGEX_INSTRUCTIONS.toLocaleString("en")}): use fewer or smaller repeats`;
  }
  return new LazyDfa(prog);
}

/** re2js's message, with what to do instead for the features RE2 leaves out on purpose. */
function explain(pattern: string, message: string): string {
  const reason = message.replace(/^error parsing regexp: /, "");
  const unsupported = (what: string) =>
    `${what} are not supported: policy regexes use RE2 syntax, which runs in linear time ` +
    `(${reason})`;
  if (/\(\?<?[=!]/.test(pattern)) return unsupported("lookahead and lookbehind");
  if (/\\(?:[1-9]|k<)/.test(pattern)) return unsupported("backreferences");
  if (/\(\?>|[*+?}][+]/.test(pattern)) return unsupported("atomic groups and possessive repeats");
  if (/\\u[0-9a-fA-F{]/.test(pattern)) return `${reason}; write a code point as \\x{00e9}`;
  return reason;
}
