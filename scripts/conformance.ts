/**
 * `deno task conformance [--json FILE] [--suite NAME | --scenario NAME...]`: the MCP conformance
 * suite's server scenarios (`@modelcontextprotocol/conformance`, pinned in deno.json), first
 * against server-everything's own Streamable HTTP mode, then against `intercept --listen` (an
 * allow-all policy) in front of the same server over stdio, one server process per session.
 * Prints every check with both verdicts and exits 1 when a check that passes direct does not
 * pass through the proxy, unless scripts/conformance/explained.ts says why (deliberate).
 * Starts intercept through the tests' seam, so `INTERCEPT_BIN=dist/intercept` runs a binary.
 */
import { runBothWays } from "../test/e2e/conformance_runs.ts";
import { renderScenarios, renderTable, renderTotals } from "./conformance/compare.ts";
import type { SuiteOptions } from "./conformance/suite.ts";
import denoJson from "../deno.json" with { type: "json" };

const USAGE = "Usage: deno task conformance [--json FILE] [--suite NAME | --scenario NAME...]";

interface Options extends SuiteOptions {
  json: string | null;
}

function parseOptions(args: readonly string[]): Options {
  const options: Options = { json: null, scenarios: [] };
  const scenarios: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].startsWith("--") && args[i].includes("=")
      ? [args[i].slice(0, args[i].indexOf("=")), args[i].slice(args[i].indexOf("=") + 1)]
      : [args[i], undefined];
    const value = () => {
      const text = inline ?? args[++i];
      if (text === undefined || text === "") throw new UsageError(`${name} needs a value`);
      return text;
    };
    if (name === "--json") options.json = value();
    else if (name === "--suite") options.suite = value();
    else if (name === "--scenario") scenarios.push(value());
    else if (name === "--help" || name === "-h") throw new UsageError(null);
    else throw new UsageError(`Unknown argument "${args[i]}"`);
  }
  if (options.suite && scenarios.length > 0) {
    throw new UsageError("--suite and --scenario do not go together");
  }
  options.scenarios = scenarios;
  return options;
}

class UsageError extends Error {
  constructor(readonly problem: string | null) {
    super(problem ?? USAGE);
  }
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.problem === null) {
      console.log(USAGE);
      return 0;
    }
    console.error(`${error.problem}\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  const pin = denoJson.imports["@modelcontextprotocol/conformance"];
  console.error(`Conformance suite ${pin}, ${describe(options)}`);

  const runs = await runBothWays(options, (line) => console.error(line));
  if (runs.proxyExitCode !== 0) {
    console.error(`intercept exited with ${runs.proxyExitCode}:\n${runs.proxyLog.slice(-4_000)}`);
  }
  const { comparison, direct, proxy: proxied } = runs;
  const seconds = (performance.now() - started) / 1000;
  console.log(renderTable(comparison));
  console.log("");
  console.log(renderScenarios(comparison));
  console.log("");
  console.log(renderTotals(comparison));
  console.log(
    `Suite run: ${direct.seconds.toFixed(1)} s direct, ${proxied.seconds.toFixed(1)} s through ` +
      `the proxy; ${seconds.toFixed(1)} s in all`,
  );
  for (const row of comparison.rows.filter((r) => r.explanation)) {
    console.log(`Deliberate: ${row.scenario}/${row.check}: ${row.explanation}`);
  }
  for (const row of comparison.regressions) {
    console.log(
      `Passes direct, not through the proxy: ${row.scenario}/${row.check} (${row.proxy})` +
        (row.proxyError ? `: ${row.proxyError.slice(0, 300)}` : ""),
    );
  }
  for (const key of comparison.stale) {
    console.log(`Explained but no longer a difference (remove it from explained.ts): ${key}`);
  }
  if (options.json) {
    await Deno.writeTextFile(
      options.json,
      JSON.stringify(
        {
          suite: pin,
          selection: describe(options),
          seconds: {
            all: round(seconds),
            direct: round(direct.seconds),
            proxy: round(proxied.seconds),
          },
          totals: comparison.totals,
          regressions: comparison.regressions,
          stale: comparison.stale,
          rows: comparison.rows,
        },
        null,
        2,
      ) + "\n",
    );
  }
  const failed = comparison.regressions.length > 0 || comparison.stale.length > 0 ||
    runs.proxyExitCode !== 0;
  console.log(
    failed
      ? `FAILED: ${comparison.regressions.length} check(s) pass direct and not through the proxy`
      : "ok: every check that passes direct passes through the proxy (or is explained)",
  );
  return failed ? 1 : 0;
}

function describe(options: SuiteOptions): string {
  return options.scenarios?.length
    ? `scenarios ${options.scenarios.join(", ")}`
    : `suite ${options.suite ?? "all"}`;
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

if (import.meta.main) Deno.exit(await main());
