/** YAML text → located errors or a compiled policy. */
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { compilePolicy, PolicyCompileError, type PolicyIssue } from "./compile.ts";
import type { CompiledPolicy } from "./compiled.ts";
import { type LocatedError, PolicyLoadError } from "./load_error.ts";
import { readPolicySource } from "./policy_source.ts";
import { Policy } from "./schema.ts";
import { duplicateKeys, expansionProblem } from "./yaml_checks.ts";
import { offsetOf, sortErrors } from "./yaml_locate.ts";
import { issuesOfSoundParts } from "./sound_parts.ts";
import { knownKeysAt, suggest } from "./suggest.ts";

export { formatLocatedError, type LocatedError, PolicyLoadError } from "./load_error.ts";
export { MAX_POLICY_BYTES, readPolicySource } from "./policy_source.ts";

/** Values (scalars, mappings, lists) once YAML aliases are expanded. */
export const MAX_POLICY_VALUES = 2_000_000;

/** Parses, checks and compiles policy text; throws `PolicyLoadError` with every problem. */
export function loadPolicyText(text: string, file: string): CompiledPolicy {
  return parsePolicyText(text, file).compiled;
}

/**
 * The schema-checked policy as plain data (it compiles): what a worker hands back to the
 * main thread, which compiles it again without loading the YAML parser or the schema.
 */
export function checkPolicyText(text: string, file: string): Policy {
  return parsePolicyText(text, file).policy;
}

function parsePolicyText(
  text: string,
  file: string,
): { policy: Policy; compiled: CompiledPolicy } {
  const lineCounter = new LineCounter();
  // Duplicate keys are checked in yaml_checks.ts: the library's check is quadratic.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    throw new PolicyLoadError(doc.errors.map((error) => ({
      file,
      ...at(error.pos[0]),
      message: yamlMessage(error.code, error.message),
    })));
  }
  const yamlProblems = duplicateKeys(doc);
  const expansion = yamlProblems.length === 0 && expansionProblem(doc, MAX_POLICY_VALUES);
  if (expansion) yamlProblems.push(expansion);
  if (yamlProblems.length > 0) {
    throw new PolicyLoadError(
      yamlProblems.map(({ offset, message }) => ({ file, ...at(offset), message })),
    );
  }
  const locate = (issue: PolicyIssue): LocatedError => {
    const offset = offsetOf(doc.contents, issue.path, issue.atKey ?? false);
    return { file, ...at(offset), message: issue.message };
  };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PolicyLoadError([{
      file,
      line: 1,
      col: 1,
      message: `Cannot expand YAML aliases: ${(error as Error).message}`,
    }]);
  }
  if (raw === null || raw === undefined) {
    throw new PolicyLoadError([{ file, line: 1, col: 1, message: "The policy file is empty" }]);
  }
  const reserved = reservedToolNames(raw);
  if (reserved.length > 0) throw new PolicyLoadError(reserved.map(locate));
  const parsed = Policy.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap(toPolicyIssues);
    issues.push(...issuesOfSoundParts(raw, parsed.error.issues));
    throw new PolicyLoadError(sortErrors(issues.map(locate)));
  }
  try {
    return { policy: parsed.data, compiled: compilePolicy(parsed.data, { source: file }) };
  } catch (error) {
    if (error instanceof PolicyCompileError) {
      throw new PolicyLoadError(sortErrors(error.issues.map(locate)));
    }
    throw error;
  }
}

/**
 * Reads and loads a policy file, or a bundled policy for `builtin:NAME`; a missing or
 * unreadable file is a `PolicyLoadError` too.
 */
export async function loadPolicyFile(path: string): Promise<CompiledPolicy> {
  return loadPolicyText(await readPolicySource(path), path);
}

/** `__proto__` cannot be a tool entry: JavaScript objects would drop it (and its rules). */
function reservedToolNames(raw: unknown): PolicyIssue[] {
  if (typeof raw !== "object" || raw === null) return [];
  const tools = (raw as Record<string, unknown>).tools;
  if (typeof tools !== "object" || tools === null || !Object.hasOwn(tools, "__proto__")) return [];
  return [{
    path: ["tools", "__proto__"],
    atKey: true,
    message: `"__proto__" cannot be used as a tool name in a policy`,
  }];
}

function yamlMessage(code: string, message: string): string {
  const firstLine = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  if (code === "DUPLICATE_KEY") return "Duplicate key: each key may appear once in a mapping";
  return `Invalid YAML: ${firstLine}`;
}

type ZodIssue = z.core.$ZodIssue;

function toPolicyIssues(issue: ZodIssue): PolicyIssue[] {
  const path = issue.path as (string | number)[];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const hint = suggest(key, knownKeysAt(path));
        return {
          path: [...path, key],
          atKey: true,
          message: `Unknown key "${key}"${describePlace(path)}` +
            (hint ? `; did you mean "${hint}"?` : ""),
        };
      });
    case "invalid_union": {
      // Report the branch that got furthest; a string-or-object field reads best that way.
      const branches = issue.errors.filter((branch) => branch.length > 0);
      const best = branches.find((branch) => branch.some((inner) => inner.path.length > 0)) ??
        branches[0];
      if (!best || best.every((inner) => inner.code === "invalid_type")) {
        return [{ path, message: `${describeField(path)} has the wrong type` + unionHint(path) }];
      }
      return best.flatMap((inner) =>
        toPolicyIssues({ ...inner, path: [...path, ...inner.path] } as ZodIssue)
      );
    }
    case "invalid_value":
      return [{
        path,
        message: `${describeField(path)} must be ${
          issue.values.map((value) => JSON.stringify(value)).join(" or ")
        }`,
      }];
    case "invalid_type": {
      const missing = issue.input === undefined;
      return [{
        path,
        atKey: false,
        message: missing
          ? `${describeField(path)} is required`
          : `${describeField(path)} must be ${article(issue.expected)}`,
      }];
    }
    default:
      return [{ path, message: `${describeField(path)}: ${issue.message}` }];
  }
}

function unionHint(path: (string | number)[]): string {
  const last = path[path.length - 1];
  if (last === "rate_limit") return `: write "30/minute" or {max: 30, window: 60}`;
  if (last === "window") return `: write seconds (60) or a duration such as "1m"`;
  if (last === "version") return `: write version: "1"`;
  return "";
}

function article(expected: string): string {
  if (expected === "array") return "a list";
  if (expected === "object") return "a mapping";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeField(path: (string | number)[]): string {
  if (path.length === 0) return "The policy";
  return `"${path.map((step) => typeof step === "number" ? `[${step}]` : step).join(".")}"`
    .replaceAll(".[", "[");
}

function describePlace(path: (string | number)[]): string {
  return path.length === 0 ? " at the top level" : ` in ${describeField(path)}`;
}
