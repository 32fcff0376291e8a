import { deepEqual, equal, throws } from "node:assert/strict";
import { parseArgs, UsageError } from "../../src/cli/args.ts";
import {
  MAX_HEADERS,
  parseHeaders,
  parseUpstreamUrl,
  UPSTREAM_FLAGS,
  upstreamTarget,
} from "../../src/cli/upstream_flags.ts";

const noEnv = () => undefined;

function target(argv: string[], env: (name: string) => string | undefined = noEnv) {
  return upstreamTarget(parseArgs(argv, UPSTREAM_FLAGS, { env }));
}

function refuses(run: () => unknown, message: RegExp): void {
  throws(run, (error: unknown) => error instanceof UsageError && message.test(error.message));
}

Deno.test("upstreamTarget() reads the URL and every --header in order", () => {
  const parsed = target([
    "--upstream",
    "https://mcp.example.com/mcp?tenant=a#frag",
    "--header",
    "Authorization: Bearer abc.def",
    "--header=X-Api-Key:  k1  ",
  ]);
  equal(parsed!.url.href, "https://mcp.example.com/mcp?tenant=a");
  deepEqual(parsed!.headers, [["Authorization", "Bearer abc.def"], ["X-Api-Key", "k1"]]);
});

Deno.test("upstreamTarget() is null without --upstream and refuses --header alone", () => {
  equal(target([]), null);
  refuses(() => target(["--header", "A: b"]), /--header is for --upstream URL/);
});

Deno.test("upstreamTarget() reads INTERCEPT_UPSTREAM and INTERCEPT_HEADER", () => {
  const env = (name: string) =>
    ({ INTERCEPT_UPSTREAM: "http://127.0.0.1:9/mcp", INTERCEPT_HEADER: "X-K: v" })[name];
  const parsed = target([], env);
  equal(parsed!.url.href, "http://127.0.0.1:9/mcp");
  deepEqual(parsed!.headers, [["X-K", "v"]]);
});

Deno.test("parseUpstreamUrl() takes only http(s) URLs without credentials", () => {
  equal(parseUpstreamUrl("http://localhost:3001/mcp").port, "3001");
  refuses(() => parseUpstreamUrl("example.com/mcp"), /is not a URL/);
  refuses(
    () => parseUpstreamUrl("ftp://example.com/mcp"),
    /http:\/\/ or https:\/\/ URL, got "ftp:"/,
  );
  refuses(() => parseUpstreamUrl("file:///tmp/server"), /-- CMD/);
  refuses(
    () => parseUpstreamUrl("https://user:secret@example.com/mcp"),
    /must not hold credentials/,
  );
});

Deno.test("parseHeaders() refuses malformed, smuggling, reserved and empty headers", () => {
  const cases: [string, RegExp][] = [
    ["Authorization Bearer x", /has no colon/],
    ["Bad Name: x", /not a valid header name/],
    [": x", /not a valid header name/],
    ["X-A: one\r\nX-B: two", /line break/],
    ["X-A: café", /non-ASCII/],
    ["Mcp-Session-Id: s", /set by intercept itself/],
    ["mcp-protocol-version: 2026-07-28", /set by intercept itself/],
    ["Mcp-Param-Region: x", /set by intercept itself/],
    ["Host: evil.example", /set by intercept itself/],
    ["Content-Length: 5", /set by intercept itself/],
    ["X-Empty:", /has no value/],
    ["Authorization: Bearer ", /has no value after "Bearer": is the variable/],
  ];
  for (const [flag, message] of cases) refuses(() => parseHeaders([flag]), message);
});

Deno.test("parseHeaders() refuses a header given twice and too many headers", () => {
  refuses(() => parseHeaders(["X-A: 1", "x-a: 2"]), /given twice/);
  const many = [...Array(MAX_HEADERS + 1)].map((_, i) => `X-H${i}: v`);
  refuses(() => parseHeaders(many), /At most 64/);
  equal(parseHeaders(many.slice(0, MAX_HEADERS)).length, MAX_HEADERS);
});
