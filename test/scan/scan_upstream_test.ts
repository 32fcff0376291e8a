/**
 * `intercept scan` against servers of the 2026-07-28 era and servers at a URL: a modern-only
 * stdio server, server-everything over Streamable HTTP and SSE, the modern-only HTTP server,
 * credentials that reach the server, and the failures an operator must be told about.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { scanServer } from "../../src/scan/scan_server.ts";
import { modernServer } from "../e2e/clients.ts";
import { runIntercept } from "../e2e/helpers.ts";
import {
  freePort,
  RecordingServer,
  startEverything,
  startModernHttp,
} from "../e2e/http_servers.ts";

/** What the modern test server lists (extra and regional-echo aside). */
const MODERN_TOOLS = [
  "add",
  "confirm-action",
  "create-topic",
  "echo",
  "long-running",
  "summarize",
  "toggle-extra",
];

function toolsOf(policyText: string): string[] {
  return [...loadPolicyText(policyText, "scan.yaml").exact.keys()].sort();
}

Deno.test("scanServer() lists a modern-only stdio server's tools in the 2026-07-28 era", async () => {
  const result = await scanServer(modernServer({ mode: "modern-only" }), { timeoutMs: 30_000 });
  equal(result.era, "modern");
  deepEqual(result.server, { name: "intercept-modern-server", version: "1.0.0" });
  deepEqual(result.tools.map((tool) => tool.name).sort(), MODERN_TOOLS);
  const create = result.tools.find((tool) => tool.name === "create-topic")!;
  deepEqual((create.inputSchema as { required: string[] }).required, ["topicName", "partitions"]);
});

Deno.test("intercept scan writes a policy for a modern-only stdio server", async () => {
  const { code, stdout, stderr } = await runIntercept([
    "scan",
    "--no-date",
    "--",
    ...modernServer({ mode: "modern-only" }),
  ]);
  equal(code, 0, stderr);
  deepEqual(toolsOf(stdout), MODERN_TOOLS);
});

Deno.test("intercept scan --upstream lists server-everything over Streamable HTTP and SSE", async () => {
  for (const mode of ["streamableHttp", "sse"] as const) {
    const server = await startEverything(mode);
    try {
      const { code, stdout, stderr } = await runIntercept([
        "scan",
        "--no-date",
        "--upstream",
        server.url,
      ]);
      equal(code, 0, `${mode}: ${stderr}`);
      const tools = toolsOf(stdout);
      equal(tools.length, 19, `${mode}: ${tools.join(", ")}`);
      match(stdout, /# Policy for the MCP server mcp-servers\/everything 2\.0\.0/);
    } finally {
      await server.stop();
    }
  }
});

Deno.test("intercept scan --upstream lists a modern-only HTTP server's tools", async () => {
  const server = await startModernHttp({ mode: "modern-only" });
  try {
    const { code, stdout, stderr } = await runIntercept(["scan", "--upstream", server.url]);
    equal(code, 0, stderr);
    deepEqual(toolsOf(stdout), [...MODERN_TOOLS, "regional-echo"].sort());
  } finally {
    await server.stop();
  }
});

Deno.test("intercept scan --upstream sends every --header to the server", async () => {
  const server = new RecordingServer();
  try {
    const { code, stderr } = await runIntercept([
      "scan",
      "--upstream",
      server.url,
      "--header",
      "Authorization: Bearer scan-token",
    ]);
    equal(code, 0, stderr);
    const posts = server.seen.filter((request) => request.method === "POST");
    ok(posts.some((request) => request.body?.method === "tools/list"));
    for (const request of posts) equal(request.headers.authorization, "Bearer scan-token");
  } finally {
    await server.close();
  }
});

Deno.test("intercept scan --upstream says when the URL cannot be reached or refuses", async () => {
  const port = freePort();
  const down = await runIntercept(["scan", "--upstream", `http://127.0.0.1:${port}/mcp`]);
  equal(down.code, 1, down.stderr);
  match(down.stderr, /intercept scan: Cannot reach the server at http:\/\/127\.0\.0\.1:\d+\/mcp/);

  const refusing = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("no", { status: 401, statusText: "Unauthorized" }),
  );
  try {
    const url = `http://127.0.0.1:${refusing.addr.port}/mcp`;
    const refused = await runIntercept(["scan", "--upstream", url]);
    equal(refused.code, 1, refused.stderr);
    match(refused.stderr, /answered initialize with HTTP 401.*check the --header credentials/);
  } finally {
    await refusing.shutdown();
  }
});

Deno.test("intercept scan refuses --upstream with a command, and bad URLs and headers", async () => {
  const both = await runIntercept(["scan", "--upstream", "http://127.0.0.1:9/mcp", "--", "x"]);
  equal(both.code, 2);
  match(both.stderr, /--upstream URL or as -- CMD, not both/);
  const ftp = await runIntercept(["scan", "--upstream", "ftp://example.com/mcp"]);
  equal(ftp.code, 2);
  match(ftp.stderr, /must be an http:\/\/ or https:\/\/ URL/);
  const header = await runIntercept(["scan", "--upstream", "http://x/mcp", "--header", "nocolon"]);
  equal(header.code, 2);
  match(header.stderr, /has no colon/);
});
