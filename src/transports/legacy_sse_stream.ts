/**
 * The HTTP+SSE transport of protocol 2024-11-05 (deprecated, still served by many servers): a
 * GET opens an event stream whose first event, `endpoint`, names the URL to POST messages to;
 * every message from the server comes on that stream. The session lives as long as the
 * stream: when it ends, the session is gone.
 */
import { failOutgoing, type HttpContext, type Outgoing, reason, refused } from "./http_context.ts";
import { type EventPump, excerpt, pumpEvents, readErrorBody } from "./http_exchange.ts";
import type { SseEvent } from "./sse_parser.ts";

export interface LegacySseOptions {
  /** The URL the stream was asked of (the endpoint is resolved against it). */
  url: URL;
  /** Sends the GET. */
  open(signal: AbortSignal): Promise<Response>;
  maxBytes: number;
  /** Receives the `message` events. */
  pump: Omit<EventPump, "retry">;
  /** The stream ended after it was open (not by `close`). */
  onEnd(reason: string): void;
  /** Time for the headers and the `endpoint` event. */
  openTimeoutMs: number;
}

/** A legacy SSE session: where to POST, and how to end it. */
export interface LegacySse {
  readonly endpoint: URL;
  close(): void;
}

/** Opens the stream; a string says why this URL does not serve the legacy SSE transport. */
export async function openLegacySse(options: LegacySseOptions): Promise<LegacySse | string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.openTimeoutMs);
  let response: Response;
  try {
    response = await options.open(controller.signal);
  } catch (error) {
    clearTimeout(timer);
    return `its GET failed: ${(error as Error).message}`;
  }
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok || !type.toLowerCase().startsWith("text/event-stream") || !response.body) {
    clearTimeout(timer);
    await response.body?.cancel().catch(() => {});
    return `its GET answered HTTP ${response.status} ${type ? `(${type})` : ""}`.trim();
  }
  let settle: (value: LegacySse | string) => void = () => {};
  const decided = new Promise<LegacySse | string>((resolve) => settle = resolve);
  let endpoint: URL | null = null;
  const close = () => controller.abort();
  const firstEvent = (event: SseEvent) => {
    if (event.type !== "endpoint") {
      return settle(`its first event was "${excerpt(event.type)}", not "endpoint"`);
    }
    let url: URL;
    try {
      url = new URL(event.data.trim(), options.url);
    } catch {
      return settle(`its endpoint "${excerpt(event.data)}" is not a URL`);
    }
    // Credentials go only where the operator pointed them.
    if (url.origin !== options.url.origin) {
      return settle(`its endpoint ${url.origin} is not on ${options.url.origin}`);
    }
    endpoint = url;
    settle({ endpoint: url, close });
  };
  pumpEvents(response.body, options.maxBytes, {
    event: (event) => {
      if (!endpoint) return firstEvent(event);
      if (event.type === "message") options.pump.event(event);
    },
    oversize: (event) => {
      if (!endpoint) return settle("its first event was over the size limit");
      if (event.type === "message") options.pump.oversize(event);
    },
    chunkEnd: () => options.pump.chunkEnd(),
  }).catch(() => {}).finally(() => {
    clearTimeout(timer);
    if (!endpoint) {
      return settle(
        controller.signal.aborted
          ? `it sent no endpoint event within ${options.openTimeoutMs} ms`
          : "it ended its stream before the endpoint event",
      );
    }
    if (!controller.signal.aborted) options.onEnd("its SSE stream ended, and its session with it");
  });
  const result = await decided;
  clearTimeout(timer);
  if (typeof result === "string") close();
  return result;
}

/** One message POSTed to the session's endpoint; its answer comes on the stream. */
export async function postLegacy(ctx: HttpContext, endpoint: URL, out: Outgoing): Promise<void> {
  const request = out.id === null ? undefined : ctx.pending.get(out.id);
  const controller = new AbortController();
  if (request) request.controller = controller;
  let response: Response;
  try {
    response = await ctx.fetch(endpoint, {
      method: "POST",
      headers: ctx.headers({ "Content-Type": "application/json" }),
      body: out.line,
      signal: controller.signal,
      redirect: "manual",
    });
  } catch (error) {
    if (controller.signal.aborted) return;
    return failOutgoing(ctx, out, `Cannot reach the upstream ${ctx.shown}: ${reason(error)}`);
  }
  if (response.ok) return void await response.body?.cancel().catch(() => {});
  const text = await readErrorBody(response.body).catch(() => "");
  if (response.status === 404) {
    failOutgoing(ctx, out, "The upstream no longer knows this session (HTTP 404)");
    return ctx.lose("it answered HTTP 404 for the session's endpoint");
  }
  refused(ctx, out, response, text);
}
