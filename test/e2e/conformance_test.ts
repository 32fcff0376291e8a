/**
 * The MCP conformance suite's server scenarios (every one, both eras) against each server
 * direct and through `intercept --listen` in front of it: each check that passes direct passes
 * through the proxy, but for the deliberate differences in scripts/conformance/explained.ts.
 * The same runs as `deno task conformance` (about 20 s each).
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { runBothWays } from "./conformance_runs.ts";
import type { Target } from "../../scripts/conformance/targets.ts";

for (const target of ["everything", "modern"] as Target[]) {
  Deno.test(`intercept --listen passes every conformance check ${target} passes direct`, async () => {
    const { comparison, proxyExitCode, proxyLog } = await runBothWays(target, { suite: "all" });
    equal(proxyExitCode, 0, proxyLog);
    deepEqual(
      comparison.regressions.map((row) => `${row.scenario}/${row.check}: ${row.proxyError}`),
      [],
    );
    deepEqual(comparison.stale, [], "explained differences that are gone");
    // The run measured something: the checks the server passes direct are there.
    ok(comparison.totals.direct.pass >= 40, JSON.stringify(comparison.totals));
    const tools = comparison.rows.filter((row) => row.scenario === "tools-list");
    ok(tools.length > 0 && tools.every((row) => row.proxy === "pass"), JSON.stringify(tools));
  });
}
