/**
 * Captures real MCP exchanges between the SDK clients and the test servers, through
 * `test/e2e/fixtures/wire_tee.ts`, for the wire-format notes of the 2026-07-28 work. Each
 * scenario writes `OUTDIR/<name>.jsonl` (the tee's log) and a line of outcome to stdout.
 *
 * Usage: deno run -A scripts/modern_wire_capture.ts OUTDIR
 */
import { Client as V2Client, SdkError } from "@modelcontextprotocol/client";
import { StdioClientTransport as V2Transport } from "@modelcontextprotocol/client/stdio";
import { type ClientKind, connectAs, modernServer, type TestClient } from "../test/e2e/clients.ts";
import { EVERYTHING, isObject, type JsonObject, RawProxy, ROOT } from "../test/e2e/helpers.ts";
import { modernParams } from "../test/e2e/modern_envelope.ts";

const TEE = `${ROOT}test/e2e/fixtures/wire_tee.ts`;
const outDir = Deno.args[0];
if (!outDir) {
  console.error("Usage: modern_wire_capture.ts OUTDIR");
  Deno.exit(2);
}
await Deno.mkdir(outDir, { recursive: true });

function teed(name: string, server: readonly string[], flags: string[] = []): string[] {
  const log = `${outDir}/${name}.jsonl`;
  return ["deno", "run", "-A", TEE, "--log", log, ...flags, "--", ...server];
}

async function fresh(name: string): Promise<void> {
  await Deno.remove(`${outDir}/${name}.jsonl`).catch(() => {});
}

function describe(error: unknown): string {
  if (error instanceof SdkError) return `SdkError ${error.code}: ${error.message}`;
  const e = error as { code?: unknown; message?: string; data?: unknown };
  return `${(error as Error).name} code=${e.code} ${e.message} data=${JSON.stringify(e.data)}`;
}

async function scenario(name: string, run: () => Promise<string>): Promise<void> {
  await fresh(name);
  let outcome: string;
  try {
    outcome = await run();
  } catch (error) {
    outcome = `threw ${describe(error)}`;
  }
  console.log(`## ${name}\n${outcome}\n`);
}

async function withClient(
  kind: ClientKind,
  command: string[],
  body: (client: TestClient) => Promise<string>,
): Promise<string> {
  const client = await connectAs(kind, command, { stderr: "inherit" });
  try {
    return `era=${client.era} version=${client.protocolVersion}; ` + await body(client);
  } finally {
    await client.close();
  }
}

function short(value: unknown): string {
  return JSON.stringify(value).slice(0, 300);
}

await scenario(
  "modern_pinned",
  () =>
    withClient("v2-modern", teed("modern_pinned", modernServer()), async (client) => {
      const out: string[] = [];
      out.push(`tools=${(await client.listTools()).length}`);
      out.push(`echo=${short(await client.callTool("echo", { message: "hello" }))}`);
      out.push(`confirm=${short(await client.callTool("confirm-action", { action: "deploy" }))}`);
      out.push(`summarize=${short(await client.callTool("summarize", { text: "a long text" }))}`);
      const changes = await client.watchToolChanges();
      await client.callTool("toggle-extra");
      await changes.waitFor(1);
      await changes.close();
      const sdk = client.sdk as import("@modelcontextprotocol/client").Client;
      const progress: unknown[] = [];
      await sdk.callTool({ name: "long-running", arguments: { steps: 2, stepMs: 10 } }, {
        onprogress: (p) => progress.push(p),
      });
      out.push(`progress=${short(progress)}`);
      const abort = new AbortController();
      const call = sdk.callTool({ name: "long-running", arguments: { steps: 50, stepMs: 100 } }, {
        signal: abort.signal,
      });
      setTimeout(() => abort.abort("user stopped it"), 300);
      await call.catch((error) => out.push(`cancelled=${describe(error)}`));
      await sdk.callTool({ name: "nope", arguments: {} }).catch((error) =>
        out.push(`unknown tool=${describe(error)}`)
      );
      out.push(`bad args=${short(await client.callTool("add", { a: "x" }))}`);
      return out.join("\n");
    }),
);

await scenario("modern_strip_result_type", () =>
  withClient(
    "v2-modern",
    teed("modern_strip_result_type", modernServer(), ["--strip", "tools/call:resultType"]),
    async (client) => short(await client.callTool("echo", { message: "hello" })),
  ));

await scenario("modern_strip_result_type_list", () =>
  withClient(
    "v2-modern",
    teed("modern_strip_result_type_list", modernServer(), ["--strip", "tools/list:resultType"]),
    async (client) => `tools=${(await client.listTools()).length}`,
  ));

await scenario("modern_strip_cache_hints", () =>
  withClient(
    "v2-modern",
    teed("modern_strip_cache_hints", modernServer(), [
      "--strip",
      "tools/list:ttlMs",
      "--strip",
      "tools/list:cacheScope",
    ]),
    async (client) => `tools=${(await client.listTools()).length}`,
  ));

await scenario("modern_call_refused_version", () =>
  withClient(
    "v2-modern",
    teed("modern_call_refused_version", modernServer(), ["--refuse-version", "tools/call"]),
    async (client) => short(await client.callTool("echo", { message: "hello" })),
  ));

async function versionClient(name: string, mode: "auto" | { pin: string }, versions?: string[]) {
  const client = new V2Client({ name: "capture", version: "1.0.0" }, {
    versionNegotiation: { mode },
    ...(versions ? { supportedProtocolVersions: versions } : {}),
  });
  const [command, ...args] = teed(name, modernServer());
  await client.connect(new V2Transport({ command, args, cwd: ROOT, stderr: "inherit" }));
  try {
    return `version=${client.getNegotiatedProtocolVersion()} ` +
      short(await client.callTool({ name: "echo", arguments: { message: "v" } }));
  } finally {
    await client.close();
  }
}

await scenario(
  "pinned_unknown_version",
  () => versionClient("pinned_unknown_version", { pin: "2099-01-01" }),
);

await scenario(
  "auto_unknown_version_first",
  () =>
    versionClient("auto_unknown_version_first", "auto", ["2099-01-01", "2026-07-28", "2025-11-25"]),
);

await scenario("modern_no_elicitation_capability", async () => {
  const command = teed("modern_no_elicitation_capability", modernServer());
  const client = await connectAs("v2-modern", command, { capabilities: { elicitation: false } });
  try {
    return short(await client.callTool("confirm-action", { action: "deploy" }));
  } finally {
    await client.close();
  }
});

await scenario(
  "auto_dual",
  () =>
    withClient(
      "v2-auto",
      teed("auto_dual", modernServer()),
      async (client) => short(await client.callTool("echo", { message: "auto" })),
    ),
);

await scenario("auto_modern_only", () =>
  withClient(
    "v2-auto",
    teed("auto_modern_only", modernServer({ mode: "modern-only" })),
    async (client) => short(await client.callTool("echo", { message: "auto" })),
  ));

await scenario(
  "auto_everything",
  () =>
    withClient(
      "v2-auto",
      teed("auto_everything", EVERYTHING),
      async (client) => short(await client.callTool("echo", { message: "auto" })),
    ),
);

await scenario(
  "pinned_everything",
  () =>
    withClient(
      "v2-modern",
      teed("pinned_everything", EVERYTHING),
      () => Promise.resolve("connected"),
    ),
);

await scenario(
  "legacy_v2_dual",
  () =>
    withClient("v2-legacy", teed("legacy_v2_dual", modernServer()), async (client) => {
      await client.listTools();
      const changes = await client.watchToolChanges();
      const confirm = short(await client.callTool("confirm-action", { action: "deploy" }));
      await client.callTool("toggle-extra");
      await changes.waitFor(1);
      return `confirm=${confirm}`;
    }),
);

await scenario("legacy_v2_modern_only", () =>
  withClient(
    "v2-legacy",
    teed("legacy_v2_modern_only", modernServer({ mode: "modern-only" })),
    () => Promise.resolve("connected"),
  ));

await scenario(
  "v1_dual",
  () =>
    withClient("v1", teed("v1_dual", modernServer()), async (client) => {
      const changes = await client.watchToolChanges();
      const out = [`tools=${(await client.listTools()).length}`];
      out.push(`confirm=${short(await client.callTool("confirm-action", { action: "deploy" }))}`);
      out.push(`summarize=${short(await client.callTool("summarize", { text: "t" }))}`);
      await client.callTool("toggle-extra");
      await changes.waitFor(1);
      await client.callTool("nope").catch((error) => out.push(`unknown tool=${describe(error)}`));
      return out.join("\n");
    }),
);

await scenario(
  "v1_modern_only",
  () =>
    withClient(
      "v1",
      teed("v1_modern_only", modernServer({ mode: "modern-only" })),
      () => Promise.resolve("connected"),
    ),
);

/** Raw exchanges the SDK clients never produce: version errors and era pinning edges. */
async function raw(name: string, messages: JsonObject[]): Promise<string> {
  const proxy = new RawProxy(teed(name, modernServer()).slice(1));
  try {
    const answers: string[] = [];
    for (const message of messages) {
      await proxy.send(message);
      if ("id" in message) {
        const answer = await proxy.answerTo(message.id, { timeoutMs: 5_000 }).catch((e) =>
          ({ timeout: String(e).slice(0, 80) }) as JsonObject
        );
        answers.push(short(isObject(answer) ? answer.error ?? answer.result ?? answer : answer));
      }
    }
    return answers.join("\n");
  } finally {
    await proxy.dispose();
  }
}

const call = (id: number, version?: string, extra: JsonObject = {}): JsonObject => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: version === undefined
    ? { name: "echo", arguments: { message: "raw" }, ...extra }
    : modernParams({ name: "echo", arguments: { message: "raw" }, ...extra }, { version }),
});

await scenario(
  "raw_unsupported_version",
  () =>
    raw("raw_unsupported_version", [
      call(1, "2099-01-01"),
      call(2, "2026-07-28"),
      call(3, "2099-01-01"),
    ]),
);

await scenario("raw_claimless_first", () =>
  raw("raw_claimless_first", [
    { jsonrpc: "2.0", id: 1, method: "tools/list" },
    call(2, "2026-07-28"),
  ]));

await scenario("raw_modern_then_claimless", () =>
  raw("raw_modern_then_claimless", [
    call(1, "2026-07-28"),
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    {
      jsonrpc: "2.0",
      id: 3,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "x", version: "1" },
      },
    },
  ]));

await scenario("raw_forged_request_state", () =>
  raw("raw_forged_request_state", [
    call(1, "2026-07-28", {
      name: "confirm-action",
      arguments: { action: "deploy" },
      inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
      requestState: "v1.forged.state",
    }),
  ]));
