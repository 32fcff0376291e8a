/**
 * Test cases for a policy (`intercept test`): YAML text → checked cases, or every problem with
 * its file, line and column, as the policy loader reports them.
 */
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { needsInputSchema } from "../engine/evaluate.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { formatLocatedError, type LocatedError } from "../policy/loader.ts";
import { suggest } from "../policy/suggest.ts";
import { parseWindow } from "../policy/windows.ts";
import { offsetOf, sortErrors } from "../policy/yaml_locate.ts";

const JsonObject = z.record(z.string(), z.unknown());

const STEP_FIELDS = {
  name: z.string().optional(),
  tool: z.string(),
  args: JsonObject.optional(),
  /** `held`: a `require_approval` rule holds the call for a human. */
  expect: z.enum(["allow", "deny", "held"]),
  /** Decide as if a human approved the call (quota is taken then). */
  approved: z.boolean().optional(),
  rule: z.string().optional(),
  reason_contains: z.string().optional(),
  times: z.int().min(1).max(100_000).optional(),
  session: z.string().optional(),
  /** Seconds (or a duration such as "1m") the clock moves on before this step. */
  wait: z.union([z.number(), z.string()]).optional(),
};

export const Step = z.strictObject(STEP_FIELDS);
export type Step = z.infer<typeof Step>;

/** One call (`tool` ... `expect`), or a `sequence` of them sharing one quota state. */
export const Case = z.strictObject({
  ...STEP_FIELDS,
  tool: STEP_FIELDS.tool.optional(),
  expect: STEP_FIELDS.expect.optional(),
  sequence: z.array(Step).min(1).optional(),
}).superRefine((value, context) => {
  if (value.sequence) {
    for (const key of Object.keys(value)) {
      if (key !== "sequence" && key !== "name") {
        context.addIssue({
          code: "custom",
          path: [key],
          message: `"${key}" belongs in the steps of a sequence, not beside it`,
        });
      }
    }
    return;
  }
  for (const key of ["tool", "expect"] as const) {
    if (value[key] === undefined) {
      context.addIssue({
        code: "custom",
        path: [key],
        message: `A case needs "${key}" (or a "sequence" of steps)`,
      });
    }
  }
});
export type Case = z.infer<typeof Case>;

export const CasesFile = z.strictObject({
  /** Tool → its `inputSchema`, for rules with `validate: { required_args: true }`. */
  schemas: z.record(z.string(), JsonObject).optional(),
  cases: z.array(Case).min(1),
});

/** A checked cases file: every case as a list of steps, each `wait` in milliseconds. */
export interface TestCases {
  readonly schemas: Readonly<Record<string, Record<string, unknown>>>;
  readonly cases: readonly TestCase[];
}

export interface TestCase {
  readonly name: string;
  readonly steps: readonly TestStep[];
}

export interface TestStep extends Omit<Step, "wait"> {
  readonly waitMs: number;
}

/** Every problem of a cases file, each as `file:line:col: message`. */
export class CasesLoadError extends Error {
  override name = "CasesLoadError";
  constructor(readonly errors: LocatedError[]) {
    super(errors.map(formatLocatedError).join("\n"));
  }
}

/**
 * Parses and checks cases text. With `policy`, also checks that every tool whose rules
 * validate arguments has its `inputSchema` under `schemas` (else the case tests nothing).
 */
export function loadCasesText(
  text: string,
  file: string,
  options: { policy?: CompiledPolicy } = {},
): TestCases {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const located = (offset: number, message: string): LocatedError => ({
    file,
    ...lineCounter.linePos(offset),
    message,
  });
  if (doc.errors.length > 0) {
    throw new CasesLoadError(
      doc.errors.map((error) =>
        located(error.pos[0], `Invalid YAML: ${error.message.split("\n")[0]}`)
      ),
    );
  }
  const at = (path: readonly (string | number)[], message: string, atKey = false) =>
    located(offsetOf(doc.contents, path, atKey), message);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new CasesLoadError([at([], `Cannot expand YAML aliases: ${(error as Error).message}`)]);
  }
  const parsed = CasesFile.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) {
    throw new CasesLoadError(sortErrors(parsed.error.issues.flatMap((issue) => {
      const path = issue.path as (string | number)[];
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => {
          const hint = suggest(key, knownKeys(path));
          return at(
            [...path, key],
            `Unknown key "${key}"${place(path)}` + (hint ? `; did you mean "${hint}"?` : ""),
            true,
          );
        });
      }
      return [at(path, describeIssue(issue, path))];
    })));
  }

  const errors: LocatedError[] = [];
  const schemas = parsed.data.schemas ?? {};
  const cases = parsed.data.cases.map((entry, index): TestCase => {
    const steps = (entry.sequence ?? [entry as Step]).map((step, stepIndex): TestStep => {
      const path = entry.sequence ? ["cases", index, "sequence", stepIndex] : ["cases", index];
      let waitMs = 0;
      if (step.wait !== undefined) {
        const parsedWait = parseWindow(step.wait);
        if (typeof parsedWait === "string") errors.push(at([...path, "wait"], parsedWait));
        else waitMs = parsedWait;
      }
      const policy = options.policy;
      if (policy && needsInputSchema(policy, step.tool) && !Object.hasOwn(schemas, step.tool)) {
        errors.push(at(
          [...path, "tool"],
          `The policy checks the arguments of "${step.tool}" against its inputSchema: give ` +
            `that schema under "schemas.${step.tool}"`,
        ));
      }
      const { wait: _wait, ...rest } = step;
      return { ...rest, waitMs };
    });
    return { name: entry.name ?? defaultName(entry, steps), steps };
  });
  if (errors.length > 0) throw new CasesLoadError(sortErrors(errors));
  return { schemas, cases };
}

function defaultName(entry: Case, steps: readonly TestStep[]): string {
  if (entry.sequence) {
    const tools = [...new Set(steps.map((step) => step.tool))].join(", ");
    return `sequence of ${steps.length} step${steps.length === 1 ? "" : "s"} (${tools})`;
  }
  const step = steps[0];
  const times = step.times && step.times > 1 ? ` x${step.times}` : "";
  const args = JSON.stringify(step.args ?? {});
  const shown = args.length > 60 ? `${args.slice(0, 57)}...` : args;
  const approved = step.approved ? " (approved)" : "";
  return `${step.tool}${times} ${shown}${approved}: ${step.expect}`;
}

type ZodIssue = z.core.$ZodIssue;

function describeIssue(issue: ZodIssue, path: (string | number)[]): string {
  const field = describeField(path);
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? `${field} is required`
        : `${field} must be ${article(issue.expected)}`;
    case "invalid_value":
      return `${field} must be ${oneOf(issue.values.map((v) => JSON.stringify(v)))}`;
    case "too_small":
      return path[path.length - 1] === "times"
        ? `${field} must be at least 1`
        : `${field} must have at least one entry`;
    case "too_big":
      return `${field} must be at most ${issue.maximum}`;
    case "custom":
      return issue.message;
    default:
      return `${field}: ${issue.message}`;
  }
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function oneOf(words: string[]): string {
  return words.length <= 2
    ? words.join(" or ")
    : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

function article(expected: string): string {
  if (expected === "object" || expected === "record") return "a mapping";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function knownKeys(path: readonly (string | number)[]): string[] {
  if (path.length === 0) return Object.keys(CasesFile.shape);
  const stepKeys = Object.keys(STEP_FIELDS);
  return path.includes("sequence") ? stepKeys : [...stepKeys, "sequence"];
}

function describeField(path: readonly (string | number)[]): string {
  if (path.length === 0) return "The cases file";
  return `"${path.map((step) => typeof step === "number" ? `[${step}]` : step).join(".")}"`
    .replaceAll(".[", "[");
}

function place(path: readonly (string | number)[]): string {
  return path.length === 0 ? " at the top level" : ` in ${describeField(path)}`;
}
