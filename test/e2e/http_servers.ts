/**
 * MCP servers over HTTP for the end-to-end tests of `--upstream`: server-everything in its
 * Streamable HTTP and SSE modes, the modern test server's HTTP mode, each started on a free
 * loopback port and stopped with its process group; and a small scriptable server in the test's
 * own process that records the headers of every request.
 */
import { childEnv, ROOT } from "./helpers.ts";

export interface HttpServer {
  readonly url: string;
  readonly process: Deno.ChildProcess;
  /** What the server wrote to stderr so far. */
  readonly output: () => string;
  stop(): Promise<void>;
}

/** A loopback port free right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts `command` and waits (up to 60 s) until its stderr matches `ready`. */
export async function startServer(
  command: readonly string[],
  ready: RegExp,
  url: (match: RegExpMatchArray) => string,
  env: Record<string, string> = {},
): Promise<HttpServer> {
  const [program, ...args] = command;
  const child = new Deno.Command(program, {
    args,
    cwd: ROOT,
    env: { ...childEnv(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    detached: true,
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  let found: (match: RegExpMatchArray) => void = () => {};
  const matched = new Promise<RegExpMatchArray>((resolve) => found = resolve);
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      output += decoder.decode(chunk, { stream: true });
      const match = output.match(ready);
      if (match) found(match);
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 60_000));
  const match = await Promise.race([matched, timeout, child.status.then(() => null)]);
  clearTimeout(timer);
  const stop = async () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
    await child.status;
    await reading;
  };
  if (!match) {
    await stop();
    throw new Error(`The server ${command.join(" ")} did not start:\n${output}`);
  }
  return { url: url(match), process: child, output: () => output, stop };
}

const EVERYTHING_HTTP = [
  "deno",
  "run",
  "-A",
  "npm:@modelcontextprotocol/server-everything@2026.8.31",
];

/** server-everything in its Streamable HTTP (`/mcp`) or SSE (`/sse`) mode. */
export function startEverything(mode: "streamableHttp" | "sse", port = freePort()) {
  const path = mode === "sse" ? "/sse" : "/mcp";
  return startServer(
    [...EVERYTHING_HTTP, mode],
    /(listening on|running on) port (\d+)/,
    (match) => `http://127.0.0.1:${match[2]}${path}`,
    { PORT: String(port) },
  );
}

/** The modern test server over Streamable HTTP (`--mode dual` or `modern-only`). */
export function startModernHttp(options: { mode?: "dual" | "modern-only"; tap?: string } = {}) {
  return startServer(
    [
      "deno",
      "run",
      "-A",
      `${ROOT}test/e2e/fixtures/modern_http_server.ts`,
      `--mode=${options.mode ?? "dual"}`,
      ...(options.tap ? [`--tap=${options.tap}`] : []),
    ],
    /listening on (http:\/\/\S+)/,
    (match) => match[1],
  );
}

export type Json = Record<string, unknown>;

/** One request the recording server got. */
export interface Seen {
  method: string;
  headers: Record<string, string>;
  body: Json | null;
}

/**
 * A legacy-era MCP server over Streamable HTTP in this process, recording every request. Its
 * tools: `echo`, `hang` (never answered), `huge` (an answer of `hugeBytes`), `expire` (the
 * session is forgotten: every later request gets 404).
 */
export class RecordingServer {
  readonly seen: Seen[] = [];
  hugeBytes = 2 * 1024 * 1024;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #sessions = new Set<string>();
  #hanging = new Set<() => void>();

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => this.#handle(request),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/mcp`;
  }

  async #handle(request: Request): Promise<Response> {
    const text = request.method === "POST" ? await request.text() : "";
    const body = text ? JSON.parse(text) as Json : null;
    this.seen.push({ method: request.method, headers: Object.fromEntries(request.headers), body });
    const session = request.headers.get("mcp-session-id");
    if (request.method === "GET") return new Response(null, { status: 405 });
    if (request.method === "DELETE") {
      if (session) this.#sessions.delete(session);
      return new Response(null, { status: 200 });
    }
    if (body?.method === "initialize") {
      const id = crypto.randomUUID();
      this.#sessions.add(id);
      return this.#json(body.id, {
        protocolVersion: "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "recording-server", version: "1.0.0" },
      }, { "mcp-session-id": id });
    }
    if (!session || !this.#sessions.has(session)) {
      return new Response("Session not found", { status: 404 });
    }
    if (!body || !("id" in body)) return new Response(null, { status: 202 });
    if (body.method === "tools/list") {
      return this.#json(body.id, {
        tools: ["echo", "hang", "huge", "expire"].map((name) => ({
          name,
          inputSchema: { type: "object", properties: { message: { type: "string" } } },
        })),
      });
    }
    const params = body.params as Json | undefined;
    switch (params?.name) {
      case "hang":
        return new Promise((resolve) =>
          this.#hanging.add(() => resolve(new Response(null, { status: 503 })))
        );
      case "huge":
        return this.#json(body.id, {
          content: [{ type: "text", text: "x".repeat(this.hugeBytes) }],
        });
      case "expire":
        this.#sessions.delete(session);
        return this.#json(body.id, { content: [{ type: "text", text: "expired" }] });
      default: {
        const message = (params?.arguments as Json | undefined)?.message;
        return this.#json(body.id, { content: [{ type: "text", text: `Echo: ${message}` }] });
      }
    }
  }

  #json(id: unknown, result: Json, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify({ jsonrpc: "2.0", id, result }), {
      headers: { "content-type": "application/json", ...headers },
    });
  }

  async close(): Promise<void> {
    for (const release of this.#hanging) release();
    await this.#server.shutdown();
  }
}
