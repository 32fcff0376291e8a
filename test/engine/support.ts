/** Shared helpers for engine tests: a policy from YAML text, fresh state, a call. */
import type { LiveDenyLookup, ToolCall } from "../../src/engine/evaluate.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { liveDeniesOf } from "../../src/state/decide_now.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";

/** Compiles YAML text; throws `PolicyLoadError` like the loader does. */
export function policy(yaml: string): CompiledPolicy {
  return loadPolicyText(yaml, "test.yaml");
}

export function newState(liveDenies: Record<string, string> = {}): {
  backend: MemoryBackend;
  liveDenies: LiveDenyLookup;
} {
  return {
    backend: new MemoryBackend(),
    liveDenies: liveDeniesOf(new Map(Object.entries(liveDenies))),
  };
}

export function call(
  tool: string,
  args: Record<string, unknown> = {},
  options: { session?: string; principal?: string; inputSchema?: unknown } = {},
): ToolCall {
  return {
    tool,
    args,
    session: options.session ?? "s1",
    principal: options.principal,
    inputSchema: options.inputSchema,
  };
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
