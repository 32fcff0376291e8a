/**
 * The `x-mcp-header` declarations of an HTTP upstream's tools, learnt from every 2026-07-28
 * `tools/list` answer that passes by (a tool whose declarations are invalid is left out of the
 * list, as the specification requires of an HTTP client), and fetched again when the server
 * says a call's `Mcp-Param-*` headers do not match.
 */
import { excerpt, pumpEvents, readBody } from "./http_exchange.ts";
import { mcpRequestHeaders } from "./mcp_request_headers.ts";
import { type ParamHeader, scanParamHeaders } from "./x_mcp_header.ts";

type JsonObject = Record<string, unknown>;

/** Tools whose declarations are kept, at most (the table starts again past it). */
export const MAX_HEADER_TOOLS = 10_000;
/** Pages of the tool list fetched after a header mismatch, at most. */
export const MAX_REFRESH_PAGES = 100;

/** Sends one request of intercept's own and returns its answer (never shown to the proxy). */
export type OwnRequest = (message: JsonObject) => Promise<JsonObject>;

export class ToolHeaders {
  readonly #byTool = new Map<string, readonly ParamHeader[]>();
  readonly #warn: (message: string) => void;

  constructor(warn: (message: string) => void) {
    this.#warn = warn;
  }

  /** The declarations for a `tools/call` message (none when the tool is not known). */
  forCall(message: JsonObject): readonly ParamHeader[] | undefined {
    const params = message.params;
    if (typeof params !== "object" || params === null) return undefined;
    const name = (params as JsonObject).name;
    return typeof name === "string" ? this.#byTool.get(name) : undefined;
  }

  /**
   * Learns the declarations of a `tools/list` result; returns the list without the invalid
   * tools when there were any (else null: the result stands as it is).
   */
  remember(result: JsonObject): unknown[] | null {
    if (!Array.isArray(result.tools)) return null;
    let dropped = false;
    const kept = result.tools.filter((tool) => {
      if (typeof tool !== "object" || tool === null) return true;
      const { name, inputSchema } = tool as JsonObject;
      if (typeof name !== "string") return true;
      const scan = scanParamHeaders(inputSchema);
      if (!scan.valid) {
        this.#warn(`Left the tool "${excerpt(name)}" out of tools/list: ${scan.reason}`);
        this.#byTool.delete(name);
        dropped = true;
        return false;
      }
      if (scan.headers.length === 0) this.#byTool.delete(name);
      else {
        if (this.#byTool.size >= MAX_HEADER_TOOLS) this.#byTool.clear();
        this.#byTool.set(name, scan.headers);
      }
      return true;
    });
    return dropped ? kept : null;
  }

  /** Fetches every page of the tool list under the call's `_meta` and learns it. */
  async refresh(call: JsonObject, request: OwnRequest): Promise<void> {
    const meta = (call.params as JsonObject | undefined)?._meta;
    let cursor: unknown;
    for (let page = 0; page < MAX_REFRESH_PAGES; page++) {
      const params: JsonObject = { _meta: meta };
      if (typeof cursor === "string") params.cursor = cursor;
      const id = `intercept-tools-${crypto.randomUUID()}`;
      const result = await request({ jsonrpc: "2.0", id, method: "tools/list", params });
      this.remember(result);
      cursor = result.nextCursor;
      if (typeof cursor !== "string" || cursor === "") return;
    }
  }
}

export interface OwnRequestOptions {
  fetch: typeof fetch;
  url: URL;
  /** The headers every request carries (credentials), with `extra` on top. */
  headers(extra: Record<string, string>): Headers;
  maxBytes: number;
  timeoutMs: number;
}

/** One request POSTed on its own; resolves with its result, rejects on anything else. */
export async function ownRequest(
  message: JsonObject,
  options: OwnRequestOptions,
): Promise<JsonObject> {
  const mcp = mcpRequestHeaders({ message });
  if (mcp instanceof Error) throw mcp;
  const response = await options.fetch(options.url, {
    method: "POST",
    headers: options.headers({
      ...mcp,
      "Content-Type": "application/json",
      "Accept": "application/json, text/event-stream",
    }),
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(options.timeoutMs),
    redirect: "manual",
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`HTTP ${response.status}`);
  }
  const type = (response.headers.get("content-type") ?? "").toLowerCase();
  const texts: string[] = [];
  if (type.startsWith("text/event-stream") && response.body) {
    await pumpEvents(response.body, options.maxBytes, {
      event: (event) => texts.push(event.data),
      oversize: () => {},
      chunkEnd: () => {},
    });
  } else {
    const body = await readBody(response.body, options.maxBytes);
    if ("text" in body) texts.push(body.text);
  }
  for (const text of texts) {
    let answer: JsonObject;
    try {
      answer = JSON.parse(text);
    } catch {
      continue;
    }
    if (answer?.id !== message.id) continue;
    if (typeof answer.result === "object" && answer.result !== null) {
      return answer.result as JsonObject;
    }
    throw new Error(excerpt(JSON.stringify(answer.error ?? answer)));
  }
  throw new Error("the server sent no answer");
}
