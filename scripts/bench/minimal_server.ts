/**
 * The benchmark's upstream: a minimal MCP server over newline-delimited JSON-RPC on
 * stdin/stdout. It answers `initialize`, `server/discover`, `ping`, `tools/list` and
 * `tools/call` at once,
 * ignores notifications, and writes every answer to one read chunk in one write, so that
 * what the benchmark sees beyond it is the cost of whatever sits in between.
 */
import { KAFKA_TOOL_NAMES } from "./kafka_tools.ts";

const NEWLINE = 0x0a;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const TOOLS = KAFKA_TOOL_NAMES.map((name) => ({
  name,
  description: `Benchmark stand-in for ${name}`,
  inputSchema: { type: "object", properties: {}, additionalProperties: true },
}));

const CALL_RESULT = { content: [{ type: "text", text: "ok" }], isError: false };

function answer(message: Record<string, unknown>): unknown {
  switch (message.method) {
    case "initialize":
      return {
        protocolVersion: (message.params as { protocolVersion?: string } | undefined)
          ?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "bench-minimal-server", version: "1.0.0" },
      };
    case "server/discover":
      // Both eras, as a dual-era server says it (the proxy asks before it sends it 2026-07-28
      // requests).
      return {
        resultType: "complete",
        supportedVersions: ["2026-07-28", "2025-06-18"],
        capabilities: { tools: {} },
        serverInfo: { name: "bench-minimal-server", version: "1.0.0" },
      };
    case "tools/list":
      return { tools: TOOLS };
    case "tools/call":
      return CALL_RESULT;
    default:
      return {};
  }
}

function respond(line: string, out: string[]): void {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    out.push(
      JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }),
    );
    return;
  }
  const messages = Array.isArray(message) ? message : [message];
  for (const each of messages) {
    const request = each as Record<string, unknown>;
    if (request.id === undefined || request.method === undefined) continue; // notification
    out.push(JSON.stringify({ jsonrpc: "2.0", id: request.id, result: answer(request) }));
  }
}

async function serve(): Promise<void> {
  let pending = new Uint8Array(0);
  for await (const chunk of Deno.stdin.readable) {
    const data = pending.length === 0 ? chunk : concat(pending, chunk);
    const out: string[] = [];
    let start = 0;
    for (
      let newline = data.indexOf(NEWLINE);
      newline >= 0;
      newline = data.indexOf(NEWLINE, start)
    ) {
      if (newline > start) respond(decoder.decode(data.subarray(start, newline)), out);
      start = newline + 1;
    }
    pending = data.slice(start);
    if (out.length > 0) await writeAll(encoder.encode(out.join("\n") + "\n"));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

await serve();
