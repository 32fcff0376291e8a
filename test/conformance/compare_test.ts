import { deepEqual, equal, ok } from "node:assert/strict";
import {
  type Check,
  compare,
  renderScenarios,
  renderTable,
  verdictOf,
} from "../../scripts/conformance/compare.ts";

function check(scenario: string, id: string, status: string, errorMessage?: string): Check {
  return { scenario, id, status, ...(errorMessage ? { errorMessage } : {}) };
}

Deno.test("verdictOf() takes the most severe of a check's occurrences", () => {
  equal(verdictOf([]), "absent");
  equal(verdictOf(["SUCCESS", "SUCCESS"]), "pass");
  equal(verdictOf(["SUCCESS", "FAILURE", "SUCCESS"]), "fail");
  equal(verdictOf(["SUCCESS", "WARNING"]), "warn");
  equal(verdictOf(["INFO", "SUCCESS"]), "pass");
  equal(verdictOf(["INFO"]), "info");
  equal(verdictOf(["SKIPPED"]), "skip");
  equal(verdictOf(["PENDING"]), "fail", "a status the suite does not define is no pass");
});

Deno.test("compare() finds the checks that pass direct and not through the proxy", () => {
  const direct = [
    check("ping", "ping-ok", "SUCCESS"),
    check("tools-list", "tools-list", "SUCCESS"),
    check("tools-list", "wire-schema-valid", "SUCCESS"),
    check("stateless", "meta-400", "SUCCESS"),
    check("stateless", "meta-400", "SUCCESS"),
    check("lifecycle", "delete-404", "FAILURE"),
  ];
  const proxy = [
    check("ping", "ping-ok", "SUCCESS"),
    check("tools-list", "tools-list", "WARNING", "no ttl"),
    check("stateless", "meta-400", "SUCCESS"),
    check("stateless", "meta-400", "FAILURE", "got 404"),
    check("lifecycle", "delete-404", "SUCCESS"),
  ];
  const result = compare(direct, proxy);
  deepEqual(
    result.regressions.map((row) => [row.scenario, row.check, row.proxy, row.proxyError]),
    [
      ["tools-list", "tools-list", "warn", "no ttl"],
      ["tools-list", "wire-schema-valid", "absent", null],
      ["stateless", "meta-400", "fail", "got 404"],
    ],
  );
  const lifecycle = result.rows.find((row) => row.scenario === "lifecycle")!;
  equal(lifecycle.regression, false, "passing through the proxy only is no regression");
  deepEqual(result.totals.direct, { pass: 4, fail: 1, warn: 0, info: 0, skip: 0, absent: 0 });
  deepEqual(result.totals.proxy, { pass: 2, fail: 1, warn: 1, info: 0, skip: 0, absent: 1 });
});

Deno.test("compare() takes an explained difference out of the regressions, and reports it stale once it passes", () => {
  const explained = new Map([
    ["dns/origin", "the proxy refuses foreign Origins"],
    ["sse/priming", "JSON answers"],
    ["not-run/anything", "a scenario this run did not select"],
  ]);
  const direct = [check("dns", "origin", "SUCCESS"), check("sse", "priming", "SUCCESS")];
  const proxy = [check("dns", "origin", "FAILURE", "got 403"), check("sse", "priming", "SUCCESS")];
  const result = compare(direct, proxy, explained);
  deepEqual(result.regressions, []);
  equal(result.rows[0].explanation, "the proxy refuses foreign Origins");
  equal(result.rows[1].explanation, null);
  deepEqual(result.stale, ["sse/priming"]);
});

Deno.test("renderTable() shows every check with both verdicts and marks the differences", () => {
  const result = compare(
    [check("a", "one", "SUCCESS"), check("a", "two", "SUCCESS"), check("b", "three", "INFO")],
    [check("a", "one", "SUCCESS"), check("a", "two", "FAILURE"), check("b", "three", "INFO")],
    new Map([["a/two", "a reason | with a bar"]]),
  );
  const lines = renderTable(result).split("\n");
  equal(lines[0], "| scenario | check | direct | through the proxy | note |");
  equal(lines[2], "| a | one | pass | pass |  |");
  equal(lines[3], "| a | two | pass | FAIL | deliberate: a reason \\| with a bar |");
  equal(lines[4], "| b | three | info | info |  |");
  const unexplained = renderTable(compare([check("a", "two", "SUCCESS")], []));
  ok(unexplained.includes("| a | two | pass | - | **passes direct only** |"), unexplained);
});

Deno.test("renderScenarios() counts passed checks per scenario on each side", () => {
  const result = compare(
    [check("a", "one", "SUCCESS"), check("a", "two", "FAILURE"), check("b", "x", "SUCCESS")],
    [check("a", "one", "SUCCESS"), check("a", "two", "SUCCESS")],
  );
  deepEqual(renderScenarios(result).split("\n").slice(2), [
    "| a | 1/2 | 2/2 |",
    "| b | 1/1 | 0/0 |",
  ]);
});
