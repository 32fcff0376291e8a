/**
 * Checks that pass against a server direct and not through `intercept --listen` in front of
 * it, on purpose, per server: `scenario/check` → why. Anything else that passes direct must pass
 * through the proxy; an entry that is no longer a difference fails the run until it is removed.
 */
import type { Target } from "./targets.ts";

const ORIGIN = [
  "dns-rebinding-protection/localhost-host-valid-accepted",
  "the proxy refuses every Origin that --allowed-origins does not name (none by default), its " +
  "own included; the suite sends Origin: http://127.0.0.1:PORT (with --allowed-origins naming " +
  "it, the check passes). The server accepts any Origin, and so fails the rebinding check " +
  "that the proxy passes",
] as const;

export const EXPLAINED: Readonly<Record<Target, ReadonlyMap<string, string>>> = {
  everything: new Map([
    ORIGIN,
    [
      "server-sse-polling/server-sse-priming-event",
      "not applicable: the proxy answers a POST with JSON when nothing comes before the answer " +
      "(the spec allows either); the suite looks for the priming event only in an SSE answer " +
      "(it reports server-sse-content-type: info instead)",
    ],
    [
      "server-sse-multiple-streams/server-sse-streams-functional",
      "not applicable: the three POSTs get JSON answers, not SSE streams (the suite says info)",
    ],
  ]),
  modern: new Map([ORIGIN]),
};
