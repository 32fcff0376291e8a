/**
 * The MCP conformance suite's server scenarios (every one, both eras) against server-everything
 * direct and through `intercept --listen`: each check that passes direct passes through the
 * proxy, but for the deliberate differences in scripts/conformance/explained.ts. The same run
 * as `deno task conformance` (about 20 s).
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { runBothWays } from "./conformance_runs.ts";

Deno.test("intercept --listen passes every conformance check server-everything passes direct", async () => {
  const { comparison, proxyExitCode, proxyLog } = await runBothWays({ suite: "all" });
  equal(proxyExitCode, 0, proxyLog);
  deepEqual(
    comparison.regressions.map((row) => `${row.scenario}/${row.check}: ${row.proxyError}`),
    [],
  );
  deepEqual(comparison.stale, [], "explained differences that are gone");
  // The run measured something: the checks server-everything passes direct are there.
  ok(comparison.totals.direct.pass >= 40, JSON.stringify(comparison.totals));
  const initialize = comparison.rows.filter((row) => row.scenario === "server-initialize");
  ok(initialize.length > 0 && initialize.every((row) => row.proxy === "pass"));
});
