/**
 * The MCP conformance suite both ways, for `deno task conformance` and its end-to-end test:
 * against server-everything's own Streamable HTTP mode, then against `intercept --listen` (an
 * allow-all policy, started through the seam) in front of server-everything over stdio; and the
 * two sets of checks compared. One side at a time, so that neither slows the other down.
 */
import { compare, type Comparison } from "../../scripts/conformance/compare.ts";
import { EXPLAINED } from "../../scripts/conformance/explained.ts";
import { runSuite, type SuiteOptions, type SuiteRun } from "../../scripts/conformance/suite.ts";
import { EVERYTHING, ROOT } from "./helpers.ts";
import { startHttpProxy } from "./http_proxy.ts";
import { startEverything } from "./http_servers.ts";

export const CONFORMANCE_POLICY = `${ROOT}scripts/conformance/allow_all.yaml`;

export interface ConformanceRuns {
  direct: SuiteRun;
  proxy: SuiteRun;
  comparison: Comparison;
  /** The proxy's log, for when it went wrong. */
  proxyLog: string;
  proxyExitCode: number;
}

export async function runBothWays(
  options: SuiteOptions = {},
  progress: (line: string) => void = () => {},
): Promise<ConformanceRuns> {
  const server = await startEverything("streamableHttp");
  let direct: SuiteRun;
  try {
    progress(`Direct: server-everything at ${server.url}`);
    direct = await runSuite(server.url, options);
  } finally {
    await server.stop();
  }
  const proxy = await startHttpProxy(CONFORMANCE_POLICY, EVERYTHING);
  let proxied: SuiteRun;
  let exitCode: number;
  try {
    progress(`Through the proxy: intercept at ${proxy.url}`);
    proxied = await runSuite(proxy.url, options);
  } finally {
    exitCode = (await proxy.stop()).code;
  }
  return {
    direct,
    proxy: proxied,
    comparison: compare(direct.checks, proxied.checks, EXPLAINED),
    proxyLog: proxy.stderr(),
    proxyExitCode: exitCode,
  };
}
