/** How the policy treats a tool before any arguments are seen: what the dashboard shows. */
import type { Posture } from "../control/protocol.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { findEntry, isHidden, type LiveDenyLookup } from "./evaluate.ts";

export function postureOf(
  policy: CompiledPolicy,
  tool: string,
  liveDenies: LiveDenyLookup,
): Posture {
  if (liveDenies.reasonFor(tool) !== undefined) return "live-deny";
  if (isHidden(policy, tool)) return "hidden";
  const entry = findEntry(policy, tool);
  if (!entry && policy.defaultPosture === "deny") return "deny";
  const rules = (entry ?? policy.wildcard)?.rules ?? [];
  if (rules.some((rule) => rule.action === "deny" && rule.conditions.length === 0)) return "deny";
  if (rules.some((rule) => rule.approval !== null)) return "approval";
  if (rules.some((rule) => rule.quota || rule.counter)) return "limited";
  if (rules.some((rule) => rule.conditions.length > 0 || rule.validateArgs)) return "conditional";
  return "allow";
}
