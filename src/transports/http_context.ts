/**
 * What the parts of an HTTP upstream share: the server's address and credentials, the table
 * of requests in flight, the way back to the proxy, the legacy session, the tools' header
 * declarations; and the message being sent, read once.
 */
import { excerpt, jsonRpcError, type JsonRpcId } from "./http_exchange.ts";
import type { Inbox } from "./http_inbox.ts";
import type { PendingRequests } from "./http_pending.ts";
import type { LegacySession } from "./http_session.ts";
import type { ToolHeaders } from "./http_tool_headers.ts";

export type JsonObject = Record<string, unknown>;

export interface UpstreamLog {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A message the proxy sent, read once. */
export interface Outgoing {
  readonly line: string;
  readonly message: JsonObject;
  /** A request's id; null for a notification or an answer to the server. */
  readonly id: JsonRpcId | null;
  readonly method: string | null;
  /** A 2026-07-28 message (its version in `_meta`). */
  readonly modern: boolean;
  /** The tool list was fetched again after a header mismatch (done once). */
  retried: boolean;
}

export interface HttpContext {
  readonly url: URL;
  /** The URL as logs show it (no query). */
  readonly shown: string;
  readonly fetch: typeof fetch;
  readonly log: UpstreamLog;
  readonly pending: PendingRequests;
  readonly inbox: Inbox;
  readonly session: LegacySession;
  readonly tools: ToolHeaders;
  readonly timeoutMs: number;
  maxBytes(): number;
  /** The `--header` credentials with `extra` on top. */
  headers(extra: Record<string, string>): Headers;
  /** Sends `out` again (after the tool list was fetched again). */
  dispatch(out: Outgoing): void;
  /** The upstream is gone for good. */
  lose(why: string): void;
}

/** Answers `out` (a request) with intercept's own error; a notification is only logged. */
export function failOutgoing(ctx: HttpContext, out: Outgoing, message: string, code = -32603) {
  if (out.id === null) {
    return ctx.log.warn(
      `A ${out.method ?? "answer"} message did not reach the upstream: ${message}`,
    );
  }
  if (ctx.inbox.fail(out.id, message, code)) {
    ctx.log.warn(`Request ${out.id} (${out.method}) failed: ${message}`);
  }
}

/** A refused POST: a request gets the server's own JSON-RPC error, else what HTTP said. */
export function refused(
  ctx: HttpContext,
  out: Outgoing,
  response: { status: number; statusText: string },
  text: string,
): void {
  const { status, statusText } = response;
  if (out.id === null) {
    return ctx.log.warn(
      `The upstream refused a ${out.method ?? "answer"} message: HTTP ${status} ${excerpt(text)}`,
    );
  }
  const error = jsonRpcError(text);
  if (error && ctx.inbox.serverError(out.id, error)) return;
  const hint = status === 401 || status === 403 ? " (check the --header credentials)" : "";
  failOutgoing(
    ctx,
    out,
    `The upstream answered HTTP ${status} ${statusText}${hint}` +
      (text.trim() ? `: ${excerpt(text)}` : ""),
  );
}

/** An error's message, short, for the client and the log. */
export function reason(error: unknown): string {
  return excerpt(error instanceof Error ? error.message : String(error));
}

/** The URL as logs and status show it: without its query, which may hold a key. */
export function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname}${url.search ? "?…" : ""}`;
}
