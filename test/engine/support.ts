/** Shared helpers for engine tests: a policy from YAML text, fresh state, a call. */
import type { EngineState, ToolCall } from "../../src/engine/evaluate.ts";
import { QuotaStore } from "../../src/engine/quota_store.ts";
import { LiveDenies } from "../../src/state/live_denies.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";

/** Compiles YAML text; throws `PolicyLoadError` like the loader does. */
export function policy(yaml: string): CompiledPolicy {
  return loadPolicyText(yaml, "test.yaml");
}

export function newState(liveDenies: Record<string, string> = {}): EngineState & {
  quotas: QuotaStore;
  liveDenies: LiveDenies;
} {
  const denies = new LiveDenies();
  for (const [tool, reason] of Object.entries(liveDenies)) denies.set(tool, reason);
  return { quotas: new QuotaStore(), liveDenies: denies };
}

export function call(
  tool: string,
  args: Record<string, unknown> = {},
  options: { session?: string; inputSchema?: unknown } = {},
): ToolCall {
  return { tool, args, session: options.session ?? "s1", inputSchema: options.inputSchema };
}

/** A policy with one tool whose single rule holds the given conditions. */
export function conditionPolicy(conditions: string): CompiledPolicy {
  return policy(`version: "1"
tools:
  t:
    rules:
      - name: check
        conditions:
${conditions.trim().split("\n").map((line) => `          ${line}`).join("\n")}
`);
}
