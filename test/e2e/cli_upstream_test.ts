/** `intercept -c POLICY --upstream URL`: the usage errors, each clear, exit 2, nothing started. */
import { equal, match } from "node:assert/strict";
import { policyPath, runIntercept } from "./helpers.ts";

const POLICY = policyPath("allow_all.yaml");

Deno.test("intercept --upstream refuses usage errors with exit 2 and a clear message", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--upstream", "http://127.0.0.1:9/mcp", "--", "cat"],
      /--upstream URL or as -- CMD, not both/,
    ],
    [["--upstream", "ws://127.0.0.1:9/mcp"], /must be an http:\/\/ or https:\/\/ URL, got "ws:"/],
    [["--upstream", "not a url"], /is not a URL/],
    [["--upstream", "https://u:p@example.com/mcp"], /must not hold credentials/],
    [["--upstream", "http://x/mcp", "--header", "Authorization Bearer t"], /has no colon/],
    [["--upstream", "http://x/mcp", "--header", "Mcp-Session-Id: s"], /set by intercept itself/],
    [["--header", "X-A: b", "--", "cat"], /--header is for --upstream URL/],
    [["--upstream-timeout-ms", "1000", "--", "cat"], /--upstream-timeout-ms is for --upstream URL/],
    [["--upstream", "http://x/mcp", "--upstream-timeout-ms", "0"], /whole number from 100/],
    [[], /Missing the MCP server: .*-- CMD \[ARGS\.\.\.\], or --upstream URL/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await runIntercept(["-c", POLICY, ...args]);
    equal(code, 2, `${args.join(" ")}: ${stderr}`);
    equal(stdout, "");
    match(stderr, message);
  }
});
