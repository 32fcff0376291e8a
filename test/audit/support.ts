/** Decision events for audit tests. */
import type { Decision } from "../../src/engine/decision.ts";
import type { DecisionEvent } from "../../src/proxy/events.ts";

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

export function allowed(tool: string, overrides: Partial<Decision> = {}): Decision {
  return {
    allowed: true,
    tool,
    rule: tool,
    reason: null,
    retryAfterMs: null,
    quotas: [],
    ...overrides,
  };
}

export function decisionEvent(
  tool: string,
  args: Record<string, unknown> = {},
  overrides: Partial<DecisionEvent> = {},
): DecisionEvent {
  return {
    ts: T0,
    session: "session-1",
    principal: "uid:tester",
    client: null,
    era: "legacy",
    round: 1,
    decision: allowed(tool),
    args,
    latencyMs: 0.1234567,
    ...overrides,
  };
}
