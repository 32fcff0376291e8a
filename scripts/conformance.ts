/**
 * `deno task conformance [--server everything|modern]... [--json FILE] [--suite NAME |
 * --scenario NAME...]`: the MCP conformance suite's server scenarios
 * (`@modelcontextprotocol/conformance`, pinned in deno.json) against each server direct, then
 * against `intercept --listen` (an allow-all policy) in front of the same server (targets.ts says
 * how). Prints every check with both verdicts and exits 1 when a check that passes direct does
 * not pass through the proxy, unless scripts/conformance/explained.ts says why (deliberate).
 * Starts intercept through the tests' seam, so `INTERCEPT_BIN=dist/intercept` runs a binary.
 */
import { type ConformanceRuns, runBothWays } from "../test/e2e/conformance_runs.ts";
import { renderScenarios, renderTable, renderTotals } from "./conformance/compare.ts";
import type { SuiteOptions } from "./conformance/suite.ts";
import { isTarget, type Target, TARGETS } from "./conformance/targets.ts";
import denoJson from "../deno.json" with { type: "json" };

const USAGE = "Usage: deno task conformance [--server everything|modern]... [--json FILE] " +
  "[--suite NAME | --scenario NAME...]";

interface Options extends SuiteOptions {
  json: string | null;
  targets: Target[];
}

export function parseOptions(args: readonly string[]): Options {
  const options: Options = { json: null, targets: [] };
  const scenarios: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const equals = args[i].startsWith("--") ? args[i].indexOf("=") : -1;
    const name = equals > 0 ? args[i].slice(0, equals) : args[i];
    const inline = equals > 0 ? args[i].slice(equals + 1) : undefined;
    const value = () => {
      const text = inline ?? args[++i];
      if (text === undefined || text === "") throw new UsageError(`${name} needs a value`);
      return text;
    };
    if (name === "--json") options.json = value();
    else if (name === "--suite") options.suite = value();
    else if (name === "--scenario") scenarios.push(value());
    else if (name === "--server") {
      const target = value();
      if (!isTarget(target)) {
        throw new UsageError(
          `--server "${target}" is not one of ${Object.keys(TARGETS).join(", ")}`,
        );
      }
      if (!options.targets.includes(target)) options.targets.push(target);
    } else if (name === "--help" || name === "-h") throw new UsageError(null);
    else throw new UsageError(`Unknown argument "${args[i]}"`);
  }
  if (options.suite && scenarios.length > 0) {
    throw new UsageError("--suite and --scenario do not go together");
  }
  if (options.targets.length === 0) options.targets = Object.keys(TARGETS) as Target[];
  options.scenarios = scenarios;
  return options;
}

export class UsageError extends Error {
  constructor(readonly problem: string | null) {
    super(problem ?? USAGE);
  }
}

function report(runs: ConformanceRuns): boolean {
  const { comparison, direct, proxy, target } = runs;
  console.log(`## ${target}\n`);
  console.log(`Direct: ${TARGETS[target].direct}.`);
  console.log(`Through the proxy: ${TARGETS[target].proxy}.\n`);
  console.log(renderTable(comparison));
  console.log("");
  console.log(renderScenarios(comparison));
  console.log("");
  console.log(renderTotals(comparison));
  console.log(
    `Suite run: ${direct.seconds.toFixed(1)} s direct, ${proxy.seconds.toFixed(1)} s through ` +
      `the proxy`,
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
  if (runs.proxyExitCode !== 0) {
    console.log(`intercept exited with ${runs.proxyExitCode}:\n${runs.proxyLog.slice(-4_000)}`);
  }
  console.log("");
  return comparison.regressions.length === 0 && comparison.stale.length === 0 &&
    runs.proxyExitCode === 0;
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
  const all: ConformanceRuns[] = [];
  let ok = true;
  for (const target of options.targets) {
    const runs = await runBothWays(target, options, (line) => console.error(line));
    all.push(runs);
    ok = report(runs) && ok;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${seconds.toFixed(1)} s in all`);
  if (options.json) {
    const results = all.map((runs) => ({
      server: runs.target,
      direct: TARGETS[runs.target].direct,
      proxy: TARGETS[runs.target].proxy,
      seconds: { direct: round(runs.direct.seconds), proxy: round(runs.proxy.seconds) },
      totals: runs.comparison.totals,
      regressions: runs.comparison.regressions,
      stale: runs.comparison.stale,
      proxyExitCode: runs.proxyExitCode,
      rows: runs.comparison.rows,
    }));
    const document = { suite: pin, selection: describe(options), seconds: round(seconds), results };
    await Deno.writeTextFile(options.json, JSON.stringify(document, null, 2) + "\n");
  }
  console.log(
    ok
      ? "ok: every check that passes direct passes through the proxy (or is explained)"
      : "FAILED: some check passes direct and not through the proxy (see above)",
  );
  return ok ? 0 : 1;
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
