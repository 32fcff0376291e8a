/**
 * The HTTP side of `--listen HOST:PORT`: `/mcp` for MCP (handed to an endpoint that speaks it),
 * `/healthz`, `/readyz` and `/metrics`. Everything a request must pass before MCP sees it is
 * checked here: the Host (on loopback binds, against DNS rebinding), the Origin allow-list, the
 * bearer token (→ the principal), header and body sizes, a slow body, the number of requests
 * at once.
 */
import type { Logger } from "../cli/log.ts";
import { tokenDigest, type TokenTable } from "./auth_tokens.ts";
import { isLoopback, LOOPBACK_NAMES } from "./loopback.ts";

export interface McpHttpRequest {
  readonly method: string;
  readonly headers: Headers;
  /** The POST body as text, within the size limit; null for GET and DELETE. */
  readonly body: string | null;
  /** Who sent it: the principal its token maps to, or "anonymous" without auth. */
  readonly principal: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

export interface McpEndpoint {
  handle(request: McpHttpRequest): Promise<Response>;
  /** Stop taking work; end what is open within `graceMs`. */
  drain(graceMs: number): Promise<void>;
}

export interface HttpListenerOptions {
  hostname: string;
  port: number;
  /** Principals by token digest; null when auth is off (`--no-auth`). */
  tokens: TokenTable | null;
  /** Origins a browser may call from; a request with any other Origin is refused. */
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
  endpoint: McpEndpoint;
  ready(): string | null;
  metrics(): string;
  log: Logger;
  limits?: Partial<HttpLimits>;
}

export interface HttpLimits {
  /** The whole body must arrive within this. */
  bodyTimeoutMs: number;
  /** Header names and values together, at most. */
  maxHeaderBytes: number;
  /** Requests open at once, a response stream until it ends. */
  maxConcurrent: number;
  /** Of those, one principal's at most, when the tokens name several (none takes every place). */
  maxPerPrincipal: number;
}

export const HTTP_LIMITS: HttpLimits = {
  bodyTimeoutMs: 30_000,
  maxHeaderBytes: 32 * 1024,
  maxConcurrent: 1_000,
  maxPerPrincipal: 250,
};

/** A request's place among those open: its principal's too, once it is known. */
interface Place {
  principal: string | null;
}

export interface HttpListener {
  readonly hostname: string;
  readonly port: number;
  /** Stops accepting, lets the endpoint drain for `graceMs`, then closes. */
  close(graceMs: number): Promise<void>;
}

export function startHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  const limits = { ...HTTP_LIMITS, ...options.limits };
  let open = 0;
  const openOf = new Map<string, number>();
  const shared = options.tokens !== null && new Set(options.tokens.values()).size > 1;
  let closing = false;
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: controller.signal,
        onListen: (addr) => {
          resolve({
            hostname: addr.hostname,
            port: addr.port,
            close: async (graceMs) => {
              closing = true;
              await options.endpoint.drain(graceMs);
              controller.abort();
              await server.finished.catch(() => {});
            },
          });
        },
        onError: (error) => {
          options.log.error(`HTTP handler failed: ${(error as Error).stack ?? error}`);
          return jsonError(500, "Internal error");
        },
      }, async (request, info) => {
        if (closing) return jsonError(503, "The proxy is shutting down", { "retry-after": "1" });
        if (open >= limits.maxConcurrent) {
          return jsonError(503, `Too many requests at once (${limits.maxConcurrent})`, {
            "retry-after": "1",
          });
        }
        open++;
        const place: Place = { principal: null };
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          open--;
          if (place.principal === null) return;
          const left = openOf.get(place.principal)! - 1;
          if (left > 0) openOf.set(place.principal, left);
          else openOf.delete(place.principal);
        };
        // Its place is held until the response is sent whole (a stream: until it ends) or
        // the client leaves: a slow reader keeps what it holds counted.
        info.completed.then(release, release);
        try {
          return await route(request, server.addr.port, place);
        } catch (error) {
          release();
          throw error;
        }
      });
    } catch (error) {
      reject(error);
    }
  });

  async function route(request: Request, port: number, place: Place): Promise<Response> {
    const url = new URL(request.url);
    const refused = refuseHostOrOrigin(request, options.hostname, port, options.allowedOrigins) ??
      checkHeaderSize(request);
    if (refused) return refused;
    switch (url.pathname) {
      case "/healthz":
        return Response.json({ status: "ok" });
      case "/readyz": {
        const problem = options.ready();
        return problem === null
          ? Response.json({ status: "ready" })
          : Response.json({ status: "not ready", reason: problem }, { status: 503 });
      }
      case "/metrics": {
        // The same bearer token as /mcp when auth is on: tool names and counts are not public.
        if (request.method !== "GET" && request.method !== "HEAD") {
          return jsonError(405, `Method ${request.method} is not allowed on /metrics`, {
            allow: "GET, HEAD",
          });
        }
        const principal = await authenticate(request);
        if (principal instanceof Response) return principal;
        return metricsResponse(options.metrics());
      }
      case "/mcp":
        return await mcp(request, place);
      default:
        return jsonError(404, `Not found: MCP is served at /mcp`);
    }
  }

  async function mcp(request: Request, place: Place): Promise<Response> {
    if (!["POST", "GET", "DELETE"].includes(request.method)) {
      return jsonError(405, `Method ${request.method} is not allowed on /mcp`, {
        allow: "POST, GET, DELETE",
      });
    }
    const principal = await authenticate(request);
    if (principal instanceof Response) return principal;
    if (shared) {
      const mine = openOf.get(principal) ?? 0;
      if (mine >= limits.maxPerPrincipal) {
        return jsonError(
          429,
          `Too many requests of ${principal} at once (${limits.maxPerPrincipal})`,
          { "retry-after": "1" },
        );
      }
      openOf.set(principal, mine + 1);
      place.principal = principal;
    }
    let body: string | null = null;
    if (request.method === "POST") {
      const type = request.headers.get("content-type") ?? "";
      if (!/^application\/json\s*(;|$)/i.test(type)) {
        return jsonError(415, "POST /mcp takes Content-Type: application/json");
      }
      const accept = request.headers.get("accept") ?? "";
      if (!/application\/json|\*\/\*/i.test(accept) || !/text\/event-stream|\*\/\*/i.test(accept)) {
        return jsonError(406, "POST /mcp needs Accept: application/json, text/event-stream");
      }
      const read = await readBody(request, options.maxBodyBytes, limits.bodyTimeoutMs);
      if (read instanceof Response) return read;
      body = read;
    }
    return await options.endpoint.handle({
      method: request.method,
      headers: request.headers,
      body,
      principal,
      signal: request.signal,
    });
  }

  async function authenticate(request: Request): Promise<string | Response> {
    if (options.tokens === null) return "anonymous";
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S{1,4096})\s*$/i.exec(header);
    if (!match) {
      return jsonError(401, "A bearer token is required", {
        "www-authenticate": `Bearer realm="intercept"`,
      });
    }
    const principal = options.tokens.get(await tokenDigest(match[1]));
    if (principal === undefined) {
      return jsonError(401, "The bearer token is not valid", {
        "www-authenticate": `Bearer realm="intercept", error="invalid_token"`,
      });
    }
    return principal;
  }

  function checkHeaderSize(request: Request): Response | null {
    let bytes = 0;
    for (const [name, value] of request.headers) bytes += name.length + value.length + 4;
    if (bytes <= limits.maxHeaderBytes) return null;
    return jsonError(431, `Request headers of ${bytes} bytes are over ${limits.maxHeaderBytes}`);
  }
}

/**
 * A 403 unless the request may reach this listener: on a loopback bind only loopback names may
 * be asked for (DNS rebinding), and an Origin must be one of `allowedOrigins`.
 */
export function refuseHostOrOrigin(
  request: Request,
  hostname: string,
  port: number,
  allowedOrigins: readonly string[],
): Response | null {
  if (isLoopback(hostname)) {
    const host = request.headers.get("host") ?? "";
    const name = host.replace(/:\d+$/, "");
    const hostPort = /:(\d+)$/.exec(host)?.[1];
    if (!LOOPBACK_NAMES.has(name) || (hostPort !== undefined && Number(hostPort) !== port)) {
      return jsonError(403, `Host "${host.slice(0, 100)}" is not allowed on a loopback listener`);
    }
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !allowedOrigins.includes(origin)) {
    return jsonError(403, `Origin "${origin.slice(0, 100)}" is not allowed (--allowed-origins)`);
  }
  return null;
}

/** The Prometheus text of `/metrics`. */
export function metricsResponse(text: string): Response {
  return new Response(text, {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}

/** The body within `max` bytes and `timeoutMs`, as UTF-8 text; an error response otherwise. */
async function readBody(
  request: Request,
  max: number,
  timeoutMs: number,
): Promise<string | Response> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    return jsonError(413, `A body of ${declared} bytes is over the limit of ${max}`);
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        reader.cancel().catch(() => {});
        return jsonError(413, `The body is over the limit of ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch {
    return jsonError(
      timedOut ? 408 : 400,
      timedOut ? `The body took over ${timeoutMs} ms` : "The body could not be read",
    );
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) return jsonError(408, `The body took over ${timeoutMs} ms`);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return jsonError(400, "The body is not valid UTF-8");
  }
}

/** An HTTP error whose body is a JSON-RPC error without an id, as MCP suggests. */
export function jsonError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
  code = -32600,
): Response {
  return Response.json(
    { jsonrpc: "2.0", id: null, error: { code, message } },
    { status, headers },
  );
}
