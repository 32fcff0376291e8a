/**
 * Test support for the HTTP upstream: a scriptable MCP-ish HTTP server in this process that
 * records every request, and a harness that collects what the upstream delivers.
 */
import { HttpUpstream, type HttpUpstreamOptions } from "../../src/transports/http_upstream.ts";
import type { OversizeLine } from "../../src/transports/line_splitter.ts";

export type Json = Record<string, unknown>;

export interface Recorded {
  method: string;
  headers: Headers;
  body: Json | null;
}

export type Handler = (request: Request, body: Json | null) => Response | Promise<Response>;

/** An SSE response that stays open: `push` writes to it, `close` ends it. */
export interface EventStream {
  response: Response;
  push(text: string): void;
  close(): void;
}

/** An HTTP server on a free loopback port; `requests` holds every request it got. */
export class FakeServer {
  readonly requests: Recorded[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #waiters = new Set<() => void>();
  #sockets = new Set<ReadableStreamDefaultController<Uint8Array>>();

  constructor(handler: Handler) {
    this.#server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
      const text = req.method === "POST" ? await req.text() : "";
      const body = text ? JSON.parse(text) as Json : null;
      this.requests.push({ method: req.method, headers: req.headers, body });
      for (const wake of [...this.#waiters]) wake();
      return await handler(req, body);
    });
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${this.#server.addr.port}/mcp`);
  }

  /** Resolves once a recorded request satisfies `predicate`. */
  waitFor(predicate: (r: Recorded) => boolean, timeoutMs = 5_000): Promise<Recorded> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.requests.find(predicate);
        if (!found) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`No such request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** An SSE response that stays open; `push` writes an event, `close` ends it. */
  stream(headers: Record<string, string> = {}): EventStream {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.#sockets.add(c);
      },
      cancel: () => {
        this.#sockets.delete(controller);
      },
    });
    const encoder = new TextEncoder();
    return {
      response: new Response(body, {
        headers: { "content-type": "text/event-stream", ...headers },
      }),
      push: (text: string) => controller.enqueue(encoder.encode(text)),
      close: () => {
        this.#sockets.delete(controller);
        try {
          controller.close();
        } catch {
          // Cancelled by the client already.
        }
      },
    };
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) {
      try {
        socket.close();
      } catch {
        // Gone.
      }
    }
    await this.#server.shutdown();
  }
}

export function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
  });
}

export function sse(...messages: unknown[]): Response {
  const text = messages.map((m) => `event: message\ndata: ${JSON.stringify(m)}\n\n`).join("");
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

export function result(id: unknown, value: Json = {}): Json {
  return { jsonrpc: "2.0", id, result: value };
}

/** An HttpUpstream and what it delivered. */
export class Harness {
  readonly upstream: HttpUpstream;
  readonly lines: Json[] = [];
  readonly oversize: OversizeLine[] = [];
  readonly logs: string[] = [];
  ended = false;
  #waiters = new Set<() => void>();

  constructor(options: Partial<HttpUpstreamOptions> & { url: URL }, maxBytes = 1_000_000) {
    const log = (level: string) => (message: string) => this.logs.push(`${level}: ${message}`);
    this.upstream = new HttpUpstream({
      log: { debug: log("debug"), warn: log("warn"), error: log("error") },
      ...options,
    });
    void this.upstream.receive({
      line: (text) => {
        if (text.includes("\n")) throw new Error("a delivered line holds a newline");
        this.lines.push(JSON.parse(text));
        this.#wake();
      },
      oversize: (line) => {
        this.oversize.push(line);
        this.#wake();
      },
      end: () => {
        this.ended = true;
        this.#wake();
      },
    }, maxBytes);
  }

  send(message: Json): void {
    this.upstream.channel.send(JSON.stringify({ jsonrpc: "2.0", ...message }));
  }

  /** The delivered message that satisfies `predicate`. */
  async waitFor(predicate: (m: Json) => boolean, timeoutMs = 5_000): Promise<Json> {
    await this.until(() => this.lines.some(predicate), timeoutMs);
    return this.lines.find(predicate)!;
  }

  /** Resolves once `condition` holds, checked whenever something is delivered. */
  until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `Not delivered within ${timeoutMs} ms: ${JSON.stringify(this.lines)}\n${
              this.logs.join("\n")
            }`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  answer(id: unknown, timeoutMs?: number): Promise<Json> {
    return this.waitFor((m) => m.id === id && ("result" in m || "error" in m), timeoutMs);
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }
}

export const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};
