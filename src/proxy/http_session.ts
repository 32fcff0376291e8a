/**
 * A legacy Streamable HTTP session (protocol 2025-03-26 … 2025-11-25): created by `initialize`,
 * named by its `Mcp-Session-Id`, with an upstream of its own. Answers go back on the POST that
 * asked; what the upstream sends on its own goes on the session's GET stream (or, without one,
 * on the latest open POST stream). DELETE, the idle timeout or the upstream's exit ends it.
 */
import type { Upstream } from "../transports/upstream.ts";
import { SseStream } from "../transports/sse.ts";
import type { LineChannel } from "../transports/stdio.ts";
import { abortOnDisconnect, HttpExchange } from "./http_exchange.ts";
import { McpProxy, type McpProxyOptions } from "./mcp_proxy.ts";

export interface HttpSessionOptions {
  id: string;
  upstream: Upstream;
  proxy: Omit<McpProxyOptions, "client" | "upstream" | "session">;
  maxBytes: number;
  keepAliveMs: number;
  onEnded: (session: HttpSession) => void;
}

export class HttpSession implements LineChannel {
  readonly id: string;
  readonly proxy: McpProxy;
  readonly #options: HttpSessionOptions;
  readonly #exchanges = new Set<HttpExchange>();
  #stream: SseStream | null = null;
  #lastActive = Date.now();
  #ended = false;

  constructor(options: HttpSessionOptions) {
    this.id = options.id;
    this.#options = options;
    this.proxy = new McpProxy({
      ...options.proxy,
      session: options.id,
      client: this,
      upstream: options.upstream.channel,
      maxBytes: options.maxBytes,
    });
    options.upstream.receive({
      line: (line) => this.proxy.fromUpstream(line),
      oversize: (line) => this.proxy.upstreamOversize(line),
      end: () => {},
      error: (error) =>
        options.proxy.log.error(`Handling the server's output failed: ${error.stack}`),
    }, options.maxBytes);
    options.upstream.exited.then(async (code) => {
      this.proxy.upstreamEnded(code);
      await options.upstream.cleanUp(1_000);
      this.end();
    });
  }

  /** When the session last had a request, or now while one is open. */
  get lastActive(): number {
    return this.#exchanges.size > 0 ? Date.now() : this.#lastActive;
  }

  /** A POST body of this session; the returned exchange's response answers it. */
  post(body: string, signal: AbortSignal): HttpExchange {
    this.#lastActive = Date.now();
    const exchange = this.#exchange(signal);
    exchange.expect(this.proxy.fromClient(body, exchange));
    return exchange;
  }

  /** The session's GET stream: what the upstream sends on its own; a new one replaces the old. */
  openStream(signal: AbortSignal): Response {
    this.#stream?.close();
    const stream = this.#stream = new SseStream({
      maxQueued: 2 * this.#options.maxBytes,
      keepAliveMs: this.#options.keepAliveMs,
      headers: { "mcp-session-id": this.id },
      onClose: () => {
        if (this.#stream === stream) this.#stream = null;
      },
    });
    signal.addEventListener("abort", () => stream.close(), { once: true });
    return stream.response;
  }

  send(line: string, origin?: unknown, answer?: boolean): void {
    if (origin instanceof HttpExchange && !origin.finished) return origin.deliver(line, answer);
    if (answer) return; // the exchange it answers is gone (cancelled by the client)
    if (this.#stream?.send(line)) return;
    const latest = [...this.#exchanges].pop();
    if (latest) return latest.deliver(line, false);
    // Nothing the client keeps open can take it (no GET stream, no request): it is dropped.
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  /** Ends the session: its upstream is shut down, its streams closed, its quotas freed. */
  end(graceMs = 5_000): void {
    if (this.#ended) return;
    this.#ended = true;
    this.proxy.end("The session ended");
    this.#stream?.close();
    for (const exchange of this.#exchanges) exchange.close();
    this.#options.upstream.shutdown(graceMs).catch(() => {});
    this.#options.onEnded(this);
  }

  #exchange(signal: AbortSignal): HttpExchange {
    const exchange: HttpExchange = new HttpExchange({
      maxQueued: 2 * this.#options.maxBytes,
      keepAliveMs: this.#options.keepAliveMs,
      headers: { "mcp-session-id": this.id },
      onAbandoned: () => this.#cancelOpen(exchange),
      onFinished: () => this.#exchanges.delete(exchange),
    });
    this.#exchanges.add(exchange);
    abortOnDisconnect(signal, exchange);
    return exchange;
  }

  /** The client left before its answers came: their requests are cancelled upstream. */
  #cancelOpen(exchange: HttpExchange): void {
    for (const id of this.proxy.openRequestIds(exchange)) {
      this.proxy.fromClient(JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: id, reason: "The HTTP client went away" },
      }));
    }
  }
}
