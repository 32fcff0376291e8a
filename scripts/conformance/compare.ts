/**
 * The MCP conformance suite's checks, direct against a server and through `intercept --listen`
 * in front of it, side by side: one verdict per scenario and check on each side, the checks
 * that pass direct and not through the proxy, and the table that shows them. Pure.
 */

/** One check as the suite wrote it to `checks.json`, with the scenario it belongs to. */
export interface Check {
  scenario: string;
  id: string;
  /** SUCCESS, FAILURE, WARNING, INFO or SKIPPED. */
  status: string;
  errorMessage?: string;
}

/** A check's verdict on one side; `absent` when that side's run did not report it. */
export type Verdict = "pass" | "fail" | "warn" | "info" | "skip" | "absent";

export interface Row {
  scenario: string;
  check: string;
  direct: Verdict;
  proxy: Verdict;
  /** Why it passes direct and not through the proxy, when that is known and deliberate. */
  explanation: string | null;
  /** Passes direct, not through the proxy, and nobody said why. */
  regression: boolean;
  /** The proxy's first error message for it, when it did not pass there. */
  proxyError: string | null;
}

export interface Comparison {
  rows: Row[];
  regressions: Row[];
  /** Explained differences that were run and are differences no longer. */
  stale: string[];
  totals: { direct: Record<Verdict, number>; proxy: Record<Verdict, number> };
}

/** `scenario/check`, the key of an explanation. */
export function checkKey(scenario: string, check: string): string {
  return `${scenario}/${check}`;
}

/**
 * One verdict for the occurrences of a check id in a scenario (ids repeat: a check run per
 * field, per stream), the most severe first, as the suite's own baselines do.
 */
export function verdictOf(statuses: readonly string[]): Verdict {
  if (statuses.length === 0) return "absent";
  if (statuses.includes("FAILURE")) return "fail";
  if (statuses.includes("WARNING")) return "warn";
  if (statuses.includes("SUCCESS")) return "pass";
  if (statuses.includes("INFO")) return "info";
  if (statuses.includes("SKIPPED")) return "skip";
  return "fail"; // a status the suite does not define is not a pass
}

export function compare(
  direct: readonly Check[],
  proxy: readonly Check[],
  explained: ReadonlyMap<string, string> = new Map(),
): Comparison {
  const directByKey = group(direct);
  const proxyByKey = group(proxy);
  const keys = [...new Set([...directByKey.keys(), ...proxyByKey.keys()])];
  const rows = keys.map((key): Row => {
    const { scenario, id: check } = (directByKey.get(key) ?? proxyByKey.get(key))![0];
    const directVerdict = verdictOf(directByKey.get(key)?.map((c) => c.status) ?? []);
    const proxyChecks = proxyByKey.get(key) ?? [];
    const proxyVerdict = verdictOf(proxyChecks.map((c) => c.status));
    const differs = directVerdict === "pass" && proxyVerdict !== "pass";
    const explanation = differs ? explained.get(key) ?? null : null;
    const failed = proxyChecks.find((c) => c.status !== "SUCCESS" && c.errorMessage);
    return {
      scenario,
      check,
      direct: directVerdict,
      proxy: proxyVerdict,
      explanation,
      regression: differs && explanation === null,
      proxyError: proxyVerdict === "pass" ? null : failed?.errorMessage ?? null,
    };
  });
  const stale = [...explained.keys()].filter((key) => {
    const row = rows.find((r) => checkKey(r.scenario, r.check) === key);
    return row !== undefined && row.explanation === null;
  });
  return {
    rows,
    regressions: rows.filter((row) => row.regression),
    stale,
    totals: { direct: count(rows, "direct"), proxy: count(rows, "proxy") },
  };
}

const SHOWN: Record<Verdict, string> = {
  pass: "pass",
  fail: "FAIL",
  warn: "warn",
  info: "info",
  skip: "skip",
  absent: "-",
};

/** The comparison as a Markdown table: every check, both verdicts, and a note where they differ. */
export function renderTable(comparison: Comparison): string {
  const lines = [
    "| scenario | check | direct | through the proxy | note |",
    "|---|---|---|---|---|",
  ];
  for (const row of comparison.rows) {
    const note = row.regression
      ? "**passes direct only**"
      : row.explanation
      ? `deliberate: ${row.explanation}`
      : "";
    lines.push(
      `| ${row.scenario} | ${row.check} | ${SHOWN[row.direct]} | ${SHOWN[row.proxy]} | ${
        note.replaceAll("|", "\\|")
      } |`,
    );
  }
  return lines.join("\n");
}

/** Per scenario, on each side: checks passed out of the checks reported. */
export function renderScenarios(comparison: Comparison): string {
  const scenarios = new Map<string, { direct: [number, number]; proxy: [number, number] }>();
  for (const row of comparison.rows) {
    const entry = scenarios.get(row.scenario) ?? { direct: [0, 0], proxy: [0, 0] };
    scenarios.set(row.scenario, entry);
    for (const side of ["direct", "proxy"] as const) {
      if (row[side] === "absent") continue;
      entry[side][1]++;
      if (row[side] === "pass") entry[side][0]++;
    }
  }
  const lines = [
    "| scenario | direct: passed/checks | through the proxy: passed/checks |",
    "|---|---|---|",
  ];
  for (const [scenario, { direct, proxy }] of scenarios) {
    lines.push(`| ${scenario} | ${direct[0]}/${direct[1]} | ${proxy[0]}/${proxy[1]} |`);
  }
  return lines.join("\n");
}

/** One line per side: how many checks had each verdict. */
export function renderTotals(comparison: Comparison): string {
  const line = (name: string, totals: Record<Verdict, number>) =>
    `${name}: ${totals.pass} pass, ${totals.fail} fail, ${totals.warn} warn, ` +
    `${totals.info + totals.skip} not applicable, ${totals.absent} not reported`;
  return [
    line("direct", comparison.totals.direct),
    line("through the proxy", comparison.totals.proxy),
  ].join("\n");
}

function group(checks: readonly Check[]): Map<string, Check[]> {
  const byKey = new Map<string, Check[]>();
  for (const check of checks) {
    const key = checkKey(check.scenario, check.id);
    const list = byKey.get(key);
    if (list) list.push(check);
    else byKey.set(key, [check]);
  }
  return byKey;
}

function count(rows: readonly Row[], side: "direct" | "proxy"): Record<Verdict, number> {
  const totals: Record<Verdict, number> = {
    pass: 0,
    fail: 0,
    warn: 0,
    info: 0,
    skip: 0,
    absent: 0,
  };
  for (const row of rows) totals[row[side]]++;
  return totals;
}
