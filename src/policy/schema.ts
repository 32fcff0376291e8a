/**
 * The policy file's shape, as zod strict schemas. Both dialects share one schema: the
 * catalogue style (`action: allow`, `reason`, `rate_limit: {max, window}`) and Intercept v1
 * (`action: evaluate`, `on_deny`, `rate_limit: "5/hour"`, `conditions`, `state`).
 * Meaning (operators, windows, paths) is checked by `compilePolicy`, not here.
 */
import { z } from "zod";

export const OPERATORS = [
  "eq",
  "neq",
  "in",
  "not_in",
  "lt",
  "lte",
  "gt",
  "gte",
  "regex",
  "contains",
  "exists",
] as const;
export type Operator = typeof OPERATORS[number];

const Window = z.union([z.number(), z.string()]);
const Per = z.enum(["session", "principal", "global"]);

export const RateLimitObject = z.strictObject({
  max: z.number(),
  window: Window,
  per: Per.optional(),
});

export const Condition = z.strictObject({
  path: z.string(),
  op: z.enum(OPERATORS),
  value: z.unknown().optional(),
});
export type Condition = z.infer<typeof Condition>;

export const CounterState = z.strictObject({
  counter: z.string(),
  window: Window,
  increment: z.number().optional(),
  increment_from: z.string().optional(),
  per: Per.optional(),
});

/** Who may approve a held call: an operator (dashboard, ctl) or the agent's user (elicitation). */
export const Approval = z.strictObject({
  timeout: z.union([z.number(), z.string()]).optional(),
  from: z.array(z.enum(["operator", "user"])).optional(),
});

export const Rule = z.strictObject({
  name: z.string().optional(),
  action: z.enum(["allow", "evaluate", "deny", "require_approval"]).optional(),
  reason: z.string().optional(),
  on_deny: z.string().optional(),
  rate_limit: z.union([z.string(), RateLimitObject]).optional(),
  conditions: z.array(Condition).optional(),
  state: CounterState.optional(),
  validate: z.strictObject({ required_args: z.boolean() }).optional(),
  approval: Approval.optional(),
});
export type Rule = z.infer<typeof Rule>;

export const ToolEntry = z.strictObject({
  rules: z.array(Rule),
});

export const Policy = z.strictObject({
  version: z.union([z.literal("1"), z.literal(1)]),
  description: z.string().optional(),
  default: z.enum(["allow", "deny"]).optional(),
  hide: z.array(z.string()).optional(),
  tools: z.record(z.string(), ToolEntry),
});
export type Policy = z.infer<typeof Policy>;
