/**
 * One message to a Streamable HTTP server as its own POST, and what comes back: a JSON body or
 * an SSE stream for a request (within the size limit, each chunk a sign of life), 202 for the
 * rest; a refused POST answered with the server's own error or one that says what HTTP said.
 */
import { failOutgoing, type HttpContext, type Outgoing, reason, refused } from "./http_context.ts";
import { excerpt, jsonRpcError, pumpEvents, readBody, readErrorBody } from "./http_exchange.ts";
import type { PendingRequest } from "./http_pending.ts";
import { ownRequest } from "./http_tool_headers.ts";
import { mcpRequestHeaders } from "./mcp_request_headers.ts";

/** The first POST's answer decides the transport: false when it dealt with `out` itself. */
export type ProbeHook = (response: Response) => Promise<boolean>;

/**
 * POSTs `out` and reads its answer. `probe`, for the first message, sees the response first;
 * `unreachable` runs when the POST could not be made at all.
 */
export async function postStreamable(
  ctx: HttpContext,
  out: Outgoing,
  probe?: { answered: ProbeHook; unreachable(): void },
): Promise<void> {
  const request = out.id === null ? undefined : ctx.pending.get(out.id);
  const mcp = mcpRequestHeaders({
    message: out.message,
    paramHeaders: out.modern && out.method === "tools/call"
      ? ctx.tools.forCall(out.message)
      : undefined,
    legacyVersion: ctx.session.version,
  });
  if (mcp instanceof Error) {
    probe?.unreachable();
    return failOutgoing(ctx, out, mcp.message, -32600);
  }
  const headers = ctx.headers({
    ...mcp,
    ...ctx.session.postHeaders(),
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
  });
  const controller = new AbortController();
  if (request) request.controller = controller;
  let response: Response;
  try {
    response = await ctx.fetch(ctx.url, {
      method: "POST",
      headers,
      body: out.line,
      signal: controller.signal,
      redirect: "manual",
    });
  } catch (error) {
    if (controller.signal.aborted) return;
    probe?.unreachable();
    return failOutgoing(ctx, out, `Cannot reach the upstream ${ctx.shown}: ${reason(error)}`);
  }
  if (request) ctx.pending.alive(request);
  // Before anything that waited for this answer goes (a client that did not wait for it).
  if (out.method === "initialize" && response.ok) ctx.session.take(response);
  try {
    if (probe && !(await probe.answered(response))) return;
    await readAnswer(ctx, out, request, response);
  } catch (error) {
    if (controller.signal.aborted) return;
    failOutgoing(ctx, out, `The upstream's answer broke off: ${reason(error)}`);
  }
}

async function readAnswer(
  ctx: HttpContext,
  out: Outgoing,
  request: PendingRequest | undefined,
  response: Response,
): Promise<void> {
  const status = response.status;
  if (status >= 300 && status < 400) {
    await response.body?.cancel().catch(() => {});
    const location = response.headers.get("location");
    return failOutgoing(
      ctx,
      out,
      `The upstream redirected to ${location ? excerpt(location) : "another URL"}; give ` +
        `that URL to --upstream (intercept does not follow redirects with credentials)`,
    );
  }
  if (!response.ok) return httpError(ctx, out, response, await readErrorBody(response.body));
  if (out.method === "notifications/initialized" && !out.modern) ctx.session.openStream();
  const type = (response.headers.get("content-type") ?? "").toLowerCase();
  if (!request || status === 202 || status === 204 || !response.body) {
    // Nothing to read here: a notification, or an answer that comes on another stream.
    return void await response.body?.cancel().catch(() => {});
  }
  const alive = () => ctx.pending.alive(request);
  if (type.startsWith("text/event-stream")) {
    if (request.listen) ctx.pending.open(request); // it may stay silent for ever
    const pump = ctx.inbox.requestPump(request, request.listen ? () => {} : alive);
    await pumpEvents(response.body, ctx.maxBytes(), pump);
  } else if (type.startsWith("application/json")) {
    const body = await readBody(response.body, ctx.maxBytes(), alive);
    if ("oversize" in body) ctx.inbox.oversize(body.oversize, request.id);
    else if (body.text.trim() !== "") await ctx.inbox.deliverAll([body.text]);
  } else {
    await response.body.cancel().catch(() => {});
    return failOutgoing(ctx, out, `The upstream answered with content type "${excerpt(type)}"`);
  }
  if (ctx.pending.get(request.id) === request) {
    failOutgoing(ctx, out, "The upstream closed its answer without answering the request");
  }
}

/** A POST the server refused (its error body read): a lost session, a retry, or an error. */
export function httpError(ctx: HttpContext, out: Outgoing, response: Response, text: string) {
  if (response.status === 404 && ctx.session.id !== null) {
    failOutgoing(ctx, out, "The upstream no longer knows this session (HTTP 404)");
    return ctx.lose("it answered HTTP 404 for the session: the session expired or ended");
  }
  if (response.status === 400 && mismatchRetry(ctx, out, text)) return;
  refused(ctx, out, response, text);
}

/**
 * A 2026-07-28 server refused a call's `Mcp-Param-*` headers (-32020): the tool list is
 * fetched again (its declarations may have changed) and the call sent once more.
 */
function mismatchRetry(ctx: HttpContext, out: Outgoing, text: string): boolean {
  if (out.retried || !out.modern || out.method !== "tools/call" || out.id === null) return false;
  if (jsonRpcError(text)?.code !== -32020) return false;
  out.retried = true;
  const options = {
    fetch: ctx.fetch,
    url: ctx.url,
    headers: (extra: Record<string, string>) => ctx.headers(extra),
    maxBytes: ctx.maxBytes(),
    timeoutMs: ctx.timeoutMs,
  };
  ctx.tools.refresh(out.message, (message) => ownRequest(message, options)).then(
    () => ctx.pending.get(out.id!) && ctx.dispatch(out),
    (error) =>
      refused(ctx, out, {
        status: 400,
        statusText: `(fetching the tools again failed: ${reason(error)})`,
      }, text),
  );
  return true;
}
