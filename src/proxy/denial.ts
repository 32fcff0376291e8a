/** How a denied call reads to the agent: a tool result with `isError`, never a protocol error. */
import type { Decision } from "../engine/decision.ts";
import { formatDuration } from "../policy/windows.ts";

export const DENIAL_PREFIX = "[INTERCEPT POLICY DENIED]";

export function denialResult(decision: Decision): Record<string, unknown> {
  const retry = decision.retryAfterMs === null
    ? ""
    : ` (retry in ${formatDuration(decision.retryAfterMs)})`;
  return {
    content: [{ type: "text", text: `${DENIAL_PREFIX} ${decision.reason}${retry}` }],
    isError: true,
    _meta: {
      "intercept/decision": {
        rule: decision.rule,
        reason: decision.reason,
        retryAfterMs: decision.retryAfterMs,
      },
    },
  };
}
