/**
 * A whole decision at once against a store that answers at once (memory, SQLite): `evaluate`,
 * then the store's take, then `conclude`. What `check`, `test` and the benchmark use; the proxy
 * goes through its `PolicyGate`, which also serves stores that answer later.
 */
import type { Decision } from "../engine/decision.ts";
import { evaluate, type LiveDenyLookup, type ToolCall } from "../engine/evaluate.ts";
import { conclude, type Held, isPlan } from "../engine/plan.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import type { MemoryBackend } from "./memory_backend.ts";

export const NO_LIVE_DENIES: LiveDenyLookup = { reasonFor: () => undefined };

/** Live denies from a plain map (tool or `"*"` → reason). */
export function liveDeniesOf(denies: ReadonlyMap<string, string>): LiveDenyLookup {
  return { reasonFor: (tool) => denies.get(tool) ?? denies.get("*") };
}

type SyncState = { backend: MemoryBackend; liveDenies: LiveDenyLookup };

/**
 * The decision, or `Held` when a `require_approval` rule holds the call (decide it again with
 * `approved: true` for what happens once a human says yes).
 */
export function verdictNow(
  policy: CompiledPolicy,
  call: ToolCall,
  state: SyncState,
  now: number,
): Decision | Held {
  const verdict = evaluate(policy, call, state.liveDenies);
  return isPlan(verdict) ? conclude(verdict, state.backend.take(verdict, now)) : verdict;
}

/** `verdictNow` for a call no approval rule can hold; a held call is a programming error. */
export function decideNow(
  policy: CompiledPolicy,
  call: ToolCall,
  state: SyncState,
  now: number,
): Decision {
  const verdict = verdictNow(policy, call, state, now);
  if ("kind" in verdict) throw new Error(`"${call.tool}" is held for approval: use verdictNow`);
  return verdict;
}
