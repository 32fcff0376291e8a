/**
 * `deno task test:confluent`: the bundled confluent-kafka policy in front of the real Confluent
 * MCP server (`@confluentinc/mcp-confluent` 1.5.0, all 73 tools), end to end through the proxy
 * with the MCP SDK's client. Opt-in: the server is heavy (Node 22, a native Kafka addon).
 *
 * Sets the server up in `$CONFLUENT_DIR` (default: `intercept/confluent-upstream` in the user's
 * cache folder) when it is missing, from npm and Debian's packages (`confluent_server.ts`).
 *
 * A denial and a server answer are told apart three ways: a denial's text starts with
 * "[INTERCEPT POLICY DENIED]" and it carries `_meta["intercept/decision"]`; and the server's
 * stdin is tapped (`tee`), so the script sees which `tools/call` requests reached the server.
 *
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { defaultServerDir, ensureConfluentServer } from "./confluent_server.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DENIAL_PREFIX = "[INTERCEPT POLICY DENIED] ";
const DESTRUCTIVE: Record<string, Record<string, unknown>> = {
  "delete-topics": { topicNames: ["orders"] },
  "delete-connector": { connectorName: "orders-sink" },
  "delete-flink-statements": { statementName: "s1" },
  "delete-schema": { subject: "orders-value" },
  "delete-tag": { tagName: "PII" },
  "remove-tag-from-entity": { tagName: "PII", qualifiedName: "lkc-dummy:orders" },
  "delete-tableflow-topic": { display_name: "orders" },
  "delete-tableflow-catalog-integration": { id: "c1" },
};
/**
 * Read tools the server answers with its own error, there being no broker and no cloud here:
 * list-topics after the Kafka client gives up (about 7 s, "Broker transport failure"),
 * list-environments at once (its endpoint, 127.0.0.1:8083 in the config, refuses).
 */
const READ_TOOLS = ["list-topics", "list-environments"];

type Result = Record<string, unknown>;
let failures = 0;

function report(passed: boolean, what: string, detail = ""): void {
  if (!passed) failures++;
  console.log(`${passed ? "PASS" : "FAIL"}  ${what}${detail ? `\n      ${detail}` : ""}`);
}

function textOf(result: Result): string {
  const content = result.content as Array<{ type: string; text?: string }> | undefined;
  return content?.[0]?.text ?? "";
}

function decisionOf(result: Result): Record<string, unknown> | undefined {
  const meta = result._meta as Record<string, unknown> | undefined;
  return meta?.["intercept/decision"] as Record<string, unknown> | undefined;
}

/** The `tools/call` names the server received, from the tap on its stdin. */
async function callsReceived(tap: string): Promise<string[]> {
  const text = await Deno.readTextFile(tap);
  return text.split("\n").filter((line) => line.trim() !== "").flatMap((line) => {
    try {
      const message = JSON.parse(line);
      return message.method === "tools/call" ? [String(message.params?.name)] : [];
    } catch {
      return [];
    }
  });
}

async function main(): Promise<number> {
  const serverArgv = await ensureConfluentServer(
    defaultServerDir((name) => Deno.env.get(name)),
    (line) => console.log(line),
  );
  const tap = await Deno.makeTempFile({ prefix: "intercept-confluent-tap-" });
  const upstream = [
    "sh",
    "-c",
    'tee -a "$0" | "$@"',
    tap,
    ...serverArgv,
  ];
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("INTERCEPT_")),
  );
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", `${ROOT}src/main.ts`, "-c", "builtin:confluent-kafka", "--", ...upstream],
    cwd: ROOT,
    env,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr = (stderr + new TextDecoder().decode(chunk)).slice(-8_192);
  });
  const client = new Client({ name: "intercept-confluent-e2e", version: "1.0.0" });
  const options = { timeout: 90_000 };
  try {
    await client.connect(transport, options);
    const server = client.getServerVersion();
    console.log(`Connected through intercept to ${server?.name} ${server?.version}`);

    const tools = (await client.listTools(undefined, options)).tools.map((tool: { name: string }) =>
      tool.name
    );
    report(
      tools.length === 73 && tools.includes("produce-message"),
      `tools/list through the proxy lists the server's ${tools.length} tools (73 expected)`,
    );

    for (const [name, args] of Object.entries(DESTRUCTIVE)) {
      const result = await client.callTool({ name, arguments: args }, undefined, options) as Result;
      const text = textOf(result);
      report(
        result.isError === true && text.startsWith(DENIAL_PREFIX) && /human/.test(text) &&
          decisionOf(result)?.rule === `${name}#1`,
        `${name} is denied by the policy`,
        text,
      );
    }

    const started = performance.now();
    const produce = await client.callTool(
      { name: "produce-message", arguments: { value: { message: "no topic" } } },
      undefined,
      options,
    ) as Result;
    const ms = Math.round(performance.now() - started);
    report(
      produce.isError === true && textOf(produce).startsWith(DENIAL_PREFIX) &&
        textOf(produce).includes("missing required argument: topicName") &&
        decisionOf(produce) !== undefined,
      `produce-message without topicName is refused by the proxy (${ms} ms)`,
      textOf(produce),
    );

    for (const name of READ_TOOLS) {
      const read = await client.callTool({ name, arguments: {} }, undefined, options) as Result;
      const text = textOf(read);
      report(
        decisionOf(read) === undefined && !text.startsWith(DENIAL_PREFIX) && text !== "",
        `${name} is answered by the server itself (no decision in _meta, no denial prefix)`,
        `isError: ${read.isError === true}; ${text.slice(0, 160)}`,
      );
    }

    const received = await callsReceived(tap);
    const leaked = received.filter((name) => name in DESTRUCTIVE || name === "produce-message");
    report(
      leaked.length === 0 && READ_TOOLS.every((name) => received.includes(name)),
      `the server received only the allowed calls (${received.join(", ") || "none"})`,
    );
  } catch (error) {
    report(false, "the session ran to the end", `${(error as Error).message}\n${stderr}`);
  } finally {
    await client.close();
    await Deno.remove(tap).catch(() => {});
  }
  console.log(failures === 0 ? "\nAll checks passed" : `\n${failures} check(s) failed`);
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
