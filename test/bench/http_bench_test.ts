/**
 * `deno task bench --http`: its pure parts (options, answers in JSON or event streams, CPU of a
 * process tree, figures against the direct path and the bridges), and a `--quick` run end to
 * end that proves it measures intercept. No speed is asserted: speed belongs in the bench.
 */
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { parseOptions, pathSpecs } from "../../scripts/bench/http_bench.ts";
import { answerIn, succeeded } from "../../scripts/bench/http_client.ts";
import type { PathRun } from "../../scripts/bench/http_measure.ts";
import { Figures, formatSpread } from "../../scripts/bench/http_report.ts";
import { type StatTimes, treeCpuMs, type TreeReading } from "../../scripts/bench/proc_tree.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

Deno.test("parseOptions() takes --quick, --json FILE and --bridges", () => {
  deepEqual(parseOptions([]), { quick: false, json: null, bridges: "all" });
  deepEqual(parseOptions(["--quick", "--json", "out.json", "--bridges", "cached"]), {
    quick: true,
    json: "out.json",
    bridges: "cached",
  });
  deepEqual(parseOptions(["--json=a.json", "--bridges=none"]), {
    quick: false,
    json: "a.json",
    bridges: "none",
  });
  equal(parseOptions(["--help"]), "help");
});

Deno.test("parseOptions() names what it refuses", () => {
  deepEqual(parseOptions(["--fast"]), { error: 'Unknown argument "--fast"' });
  deepEqual(parseOptions(["--bridges", "some"]), {
    error: '--bridges takes all, cached or none, not "some"',
  });
  deepEqual(parseOptions(["--json"]), { error: "--json needs a file name" });
});

Deno.test("answerIn() finds the answer in JSON and in an event stream", () => {
  const json = '{"jsonrpc":"2.0","id":7,"result":{"content":[],"isError":false}}';
  deepEqual(answerIn("application/json", json, 7), JSON.parse(json));
  const stream = [
    "event: message",
    'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}',
    "",
    "event: message",
    "id: abc",
    `data: {"jsonrpc":"2.0","id":8,"result":{"isError":true}}`,
    "",
    "",
  ].join("\n");
  const answer = answerIn("text/event-stream; charset=utf-8", stream, 8);
  equal(answer.id, 8);
  equal(succeeded(answer), false);
  ok(succeeded(answerIn("application/json", json, 7)));
});

Deno.test("answerIn() refuses a response without the answer, not JSON, or of another type", () => {
  throws(
    () => answerIn("application/json", '{"jsonrpc":"2.0","id":1,"result":{}}', 2),
    /No answer to request 2 in the response/,
  );
  throws(() => answerIn("application/json", "<html>", 3), /answer to request 3 is not JSON/);
  throws(() => answerIn("text/html", "{}", 4), /has Content-Type "text\/html"/);
});

function times(ownMs: number, reapedMs = 0): StatTimes {
  return { ownMs, reapedMs, server: true };
}

Deno.test("treeCpuMs() counts processes that started or ended between readings once", () => {
  const before: TreeReading = {
    live: new Map([[10, times(100)], [11, times(50)], [12, times(30)]]),
    reapedMs: 5,
  };
  // 10 used 20 ms more; 11 ended after 10 ms more (reaped: its 60 ms moved to the root);
  // 12 ended and was reaped by 10 after 5 ms more; 13 started and used 7 ms.
  const after: TreeReading = {
    live: new Map([[10, times(120, 35)], [13, times(7)]]),
    reapedMs: 5 + 60,
  };
  equal(treeCpuMs(before, after), 20 + 10 + 5 + 7);
  equal(treeCpuMs(before, before), 0);
});

function pathRun(overrides: Partial<PathRun>): PathRun {
  return {
    startMs: 100,
    setupMs: 50,
    p50Us: 200,
    p99Us: 900,
    callsPerS1: 2_000,
    proxyCpuUs1: null,
    callsPerSN: 10_000,
    proxyCpuUsN: null,
    serversCpuUsN: 5,
    servers: 4,
    proxyPeakMb: null,
    calls: 1_000,
    failures: 0,
    firstError: null,
    decisions: null,
    ...overrides,
  };
}

Deno.test("Figures.record() takes the direct path of the same run as the reference", () => {
  const specs = pathSpecs();
  const figures = new Figures(64);
  figures.record(
    specs,
    new Map([
      ["direct", pathRun({})],
      [
        "intercept",
        pathRun({
          p50Us: 350,
          p99Us: 1_400,
          callsPerSN: 4_000,
          proxyCpuUsN: 100,
          decisions: { allowed: 1_000, total: 1_000 },
        }),
      ],
      ["mcp-proxy", pathRun({ callsPerSN: 2_000, proxyCpuUsN: 400 })],
    ]),
  );
  equal(figures.metric("intercept", "added_p50_us")?.median, 150);
  equal(figures.metric("intercept", "added_p99_us")?.median, 500);
  equal(figures.metric("intercept", "ratio_to_direct_n")?.median, 0.4);
  equal(figures.metric("intercept", "calls_per_cpu_s_n")?.median, 10_000);
  equal(figures.ratio("intercept", "mcp-proxy", "calls_per_cpu_s_n")?.median, 4);
  equal(figures.ratio("intercept", "mcp-proxy", "calls_per_s_n")?.median, 2);
  equal(figures.metric("supergateway", "p50_us"), undefined);
  equal(formatSpread(figures.metric("supergateway", "p50_us"), 1), "n/a");
  deepEqual(figures.problems, []);
});

Deno.test("Figures.record() reports failed calls and intercept calls without a decision", () => {
  const figures = new Figures(4);
  figures.record(
    pathSpecs(),
    new Map([
      ["direct", pathRun({ failures: 2, firstError: "boom" })],
      ["intercept", pathRun({ decisions: { allowed: 990, total: 990 } })],
      ["intercept-modern", pathRun({ decisions: null })],
    ]),
  );
  deepEqual(figures.problems, [
    "direct (stdio): 2 of 1000 calls failed (first: boom)",
    "intercept: /metrics counted 990 decisions (990 allowed) for 1000 calls",
    "intercept 2026-07-28: /metrics counted no decisions (0 allowed) for 1000 calls",
  ]);
});

Deno.test("bench --http --quick measures intercept against the direct path, bridges only if cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intercept-bench-http-" });
  const json = `${dir}/figures.json`;
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}scripts/bench.ts`,
        "--http",
        "--quick",
        "--bridges",
        "cached",
        "--json",
        json,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    equal(output.code, 0, `${stdout}\n${stderr}`);
    match(stdout, /1 session, sequential calls \(latency\):/);
    match(stdout, /4 sessions \(modern, direct: clients\) calling at once/);
    match(stdout, /^goal/m);
    const figures = JSON.parse(await Deno.readTextFile(json));
    deepEqual(figures.problems, [], stdout);
    equal(figures.meta.quick, true);
    for (const id of ["direct", "intercept", "intercept-modern"]) {
      const path = figures.paths[id];
      ok(path, `no figures for ${id}`);
      ok(path.p50_us.median > 0 && path.calls_per_s_n.median > 0, `${id}: ${JSON.stringify(path)}`);
    }
    ok(figures.paths.intercept.added_p50_us, "no added latency for intercept");
    // A server per legacy session (and intercept's pool for 2026-07-28 requests besides).
    ok(figures.paths.intercept.servers_n.median >= 4, JSON.stringify(figures.paths.intercept));
    for (const reason of figures.meta.skipped) console.log(`bridge skipped: ${reason}`);
    for (const name of ["supergateway", "mcp-proxy"]) {
      const skipped = figures.meta.skipped.some((line: string) => line.startsWith(`${name}@`));
      equal(figures.paths[name] === undefined, skipped, `${name}: measured or said skipped`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
