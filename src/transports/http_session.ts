/**
 * A legacy (2025-era) Streamable HTTP session with the upstream: the `Mcp-Session-Id` its
 * `initialize` answer gave, the protocol version it negotiated, its GET stream, and the DELETE
 * that ends it. 2026-07-28 requests have no session and carry none of this.
 */
import type { EventPump } from "./http_exchange.ts";
import { ServerStream } from "./http_server_stream.ts";

const MAX_SESSION_ID_CHARS = 1_024;

export interface LegacySessionOptions {
  fetch: typeof fetch;
  url: URL;
  /** The headers every request carries (credentials), with `extra` on top. */
  headers(extra: Record<string, string>): Headers;
  /** Where the GET stream's messages go. */
  pump(): Omit<EventPump, "retry">;
  /** The size limit of one message. */
  maxBytes(): number;
  /** The session is gone for good. */
  onGone(why: string): void;
  log: { debug(message: string): void; warn(message: string): void };
}

export class LegacySession {
  readonly #options: LegacySessionOptions;
  #id: string | null = null;
  #version: string | null = null;
  #stream: ServerStream | null = null;

  constructor(options: LegacySessionOptions) {
    this.#options = options;
  }

  get id(): string | null {
    return this.#id;
  }

  /** The version the session's `initialize` negotiated, for `MCP-Protocol-Version`. */
  get version(): string | null {
    return this.#version;
  }

  /** Takes the session id of an `initialize` answer's headers. */
  take(response: Response): void {
    const id = response.headers.get("mcp-session-id");
    if (id === null) return;
    if (!/^[\x21-\x7e]+$/.test(id) || id.length > MAX_SESSION_ID_CHARS) {
      this.#options.log.warn("Ignored a session id from the upstream that is not visible ASCII");
      return;
    }
    this.#id = id;
  }

  /** Takes the version of an `initialize` result. */
  negotiated(result: Record<string, unknown>): void {
    if (typeof result.protocolVersion === "string") this.#version = result.protocolVersion;
  }

  /** The session's headers for a POST: its id (the version comes with the body's headers). */
  postHeaders(): Record<string, string> {
    return this.#id === null ? {} : { "Mcp-Session-Id": this.#id };
  }

  #headers(extra: Record<string, string>): Headers {
    return this.#options.headers({
      ...this.postHeaders(),
      ...(this.#version ? { "MCP-Protocol-Version": this.#version } : {}),
      ...extra,
    });
  }

  /** Opens the GET stream (once), after the session's `notifications/initialized`. */
  openStream(): void {
    if (this.#stream) return;
    const { fetch, url } = this.#options;
    this.#stream = new ServerStream({
      open: (lastEventId, signal) =>
        fetch(url, {
          method: "GET",
          headers: this.#headers({
            "Accept": "text/event-stream",
            ...(isResumeId(lastEventId) ? { "Last-Event-ID": lastEventId } : {}),
          }),
          signal,
          redirect: "manual",
        }),
      maxBytes: this.#options.maxBytes(),
      pump: this.#options.pump(),
      onGone: (why) => this.#options.onGone(why),
      debug: (message) => this.#options.log.debug(message),
    });
    void this.#stream.run();
  }

  /** Closes the GET stream and DELETEs the session (once), within `timeoutMs`. */
  async end(timeoutMs: number): Promise<void> {
    this.#stream?.close();
    const id = this.#id;
    if (id === null) return;
    const headers = this.#headers({});
    this.#id = null;
    try {
      const response = await this.#options.fetch(this.#options.url, {
        method: "DELETE",
        headers,
        signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
        redirect: "manual",
      });
      await response.body?.cancel().catch(() => {});
    } catch (error) {
      this.#options.log.debug(`Ending the upstream session failed: ${(error as Error).message}`);
    }
  }

  /** Stops the GET stream without ending the session. */
  close(): void {
    this.#stream?.close();
  }
}

/** An event id the server gave that can go back in a header (else the stream starts afresh). */
function isResumeId(id: string): boolean {
  return id !== "" && id.length <= MAX_SESSION_ID_CHARS && /^[\x20-\x7e]+$/.test(id);
}
