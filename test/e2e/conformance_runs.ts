/**
 * The MCP conformance suite both ways, for `deno task conformance` and its end-to-end test:
 * against a server direct, then against `intercept --listen` (an allow-all policy, started
 * through the seam) in front of the same server; and the two sets of checks compared. One side
 * at a time, so that neither slows the other down. The servers: server-everything (its own
 * Streamable HTTP mode direct; over stdio behind the proxy, a process per session) and the
 * modern test server (over Streamable HTTP both ways; behind the proxy as `--upstream URL`).
 */
import { compare, type Comparison } from "../../scripts/conformance/compare.ts";
import { EXPLAINED } from "../../scripts/conformance/explained.ts";
import { runSuite, type SuiteOptions, type SuiteRun } from "../../scripts/conformance/suite.ts";
import type { Target } from "../../scripts/conformance/targets.ts";
import { EVERYTHING, ROOT } from "./helpers.ts";
import { type HttpProxy, startHttpProxy } from "./http_proxy.ts";
import { type HttpServer, startEverything, startModernHttp } from "./http_servers.ts";

export const CONFORMANCE_POLICY = `${ROOT}scripts/conformance/allow_all.yaml`;

export interface ConformanceRuns {
  target: Target;
  direct: SuiteRun;
  proxy: SuiteRun;
  comparison: Comparison;
  /** The proxy's log, for when it went wrong. */
  proxyLog: string;
  proxyExitCode: number;
}

function startDirect(target: Target): Promise<HttpServer> {
  return target === "everything"
    ? startEverything("streamableHttp")
    : startModernHttp({ mode: "dual" });
}

/** The proxy in front of `target`; a server it reaches by URL is started for it (`behind`). */
async function startProxy(
  target: Target,
): Promise<{ proxy: HttpProxy; behind: HttpServer | null }> {
  if (target === "everything") {
    return { proxy: await startHttpProxy(CONFORMANCE_POLICY, EVERYTHING), behind: null };
  }
  const behind = await startDirect(target);
  try {
    const proxy = await startHttpProxy(CONFORMANCE_POLICY, [], ["--upstream", behind.url]);
    return { proxy, behind };
  } catch (error) {
    await behind.stop();
    throw error;
  }
}

export async function runBothWays(
  target: Target,
  options: SuiteOptions = {},
  progress: (line: string) => void = () => {},
): Promise<ConformanceRuns> {
  const server = await startDirect(target);
  let direct: SuiteRun;
  try {
    progress(`${target}, direct: ${server.url}`);
    direct = await runSuite(server.url, options);
  } finally {
    await server.stop();
  }
  const { proxy, behind } = await startProxy(target);
  let proxied: SuiteRun;
  let exitCode: number;
  try {
    progress(`${target}, through the proxy: ${proxy.url}`);
    proxied = await runSuite(proxy.url, options);
  } finally {
    exitCode = (await proxy.stop()).code;
    await behind?.stop();
  }
  return {
    target,
    direct,
    proxy: proxied,
    comparison: compare(direct.checks, proxied.checks, EXPLAINED[target]),
    proxyLog: proxy.stderr(),
    proxyExitCode: exitCode,
  };
}
