/**
 * The GET stream of a legacy (2025-era) Streamable HTTP session: where the server sends what
 * it starts on its own (list changes, requests to the client). It may stay silent for ever.
 * When it breaks it is opened again with backoff, resuming after its last event; when the
 * server no longer knows the session, or cannot be reached for several attempts in a row, the
 * session is gone for good.
 */
import { type EventPump, pumpEvents } from "./http_exchange.ts";

/** Time for the server to answer the GET with its headers. */
export const STREAM_OPEN_TIMEOUT_MS = 30_000;
/** Backoff between attempts: the first delay, doubled after each failure up to the cap. */
export const STREAM_RETRY_FIRST_MS = 500;
export const STREAM_RETRY_MAX_MS = 10_000;
/** Failed attempts in a row after which the session counts as lost (about 40 s of trying). */
export const STREAM_RETRIES = 7;

export interface ServerStreamOptions {
  /** Sends the GET (with the session's headers and `Last-Event-ID` when there is one). */
  open(lastEventId: string, signal: AbortSignal): Promise<Response>;
  maxBytes: number;
  pump: Omit<EventPump, "retry">;
  /** The session is gone for good (the stream cannot be had again). */
  onGone(reason: string): void;
  debug(message: string): void;
  openTimeoutMs?: number;
  retryFirstMs?: number;
}

type Attempt = "unsupported" | "gone" | "ended" | "failed";

export class ServerStream {
  readonly #options: ServerStreamOptions;
  readonly #closed = new AbortController();
  #lastEventId = "";
  #serverRetryMs: number | null = null;
  #attempts = 0;

  constructor(options: ServerStreamOptions) {
    this.#options = options;
  }

  /** Runs until closed, the server refuses the stream, or the session is gone. */
  async run(): Promise<void> {
    const first = this.#options.retryFirstMs ?? STREAM_RETRY_FIRST_MS;
    let delay = first;
    let failures = 0;
    while (!this.#closed.signal.aborted) {
      const attempt = await this.#attempt();
      if (this.#closed.signal.aborted) return;
      if (attempt === "unsupported") return;
      if (attempt === "gone") {
        return this.#options.onGone(
          "the server no longer knows the session (its GET stream " +
            "was refused)",
        );
      }
      if (attempt === "ended") {
        failures = 0;
        delay = this.#serverRetryMs ?? first;
      } else if (++failures > STREAM_RETRIES) {
        return this.#options.onGone(
          `its GET stream could not be opened again in ${STREAM_RETRIES} attempts`,
        );
      }
      this.#options.debug(`Opening the upstream's GET stream again in ${delay} ms`);
      await this.#sleep(delay);
      delay = Math.min(delay * 2, STREAM_RETRY_MAX_MS);
    }
  }

  close(): void {
    this.#closed.abort();
  }

  async #attempt(): Promise<Attempt> {
    const first = this.#attempts++ === 0;
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.#closed.signal.addEventListener("abort", stop);
    const timer = setTimeout(stop, this.#options.openTimeoutMs ?? STREAM_OPEN_TIMEOUT_MS);
    try {
      let response: Response;
      try {
        response = await this.#options.open(this.#lastEventId, controller.signal);
      } catch (error) {
        this.#options.debug(`The upstream's GET stream failed: ${(error as Error).message}`);
        return "failed";
      } finally {
        clearTimeout(timer);
      }
      const type = response.headers.get("content-type") ?? "";
      if (response.ok && type.toLowerCase().startsWith("text/event-stream") && response.body) {
        try {
          this.#lastEventId = await pumpEvents(response.body, this.#options.maxBytes, {
            ...this.#options.pump,
            retry: (ms) => this.#serverRetryMs = Math.min(Math.max(ms, 0), STREAM_RETRY_MAX_MS),
          }) || this.#lastEventId;
        } catch (error) {
          this.#options.debug(`The upstream's GET stream broke: ${(error as Error).message}`);
        }
        return "ended";
      }
      await response.body?.cancel().catch(() => {});
      // Refused at the first attempt (405, or another way): the server offers no GET stream.
      // Refused later, after a stream or a failure: the server came back without the session.
      if (first || response.status === 405) {
        this.#options.debug(`The upstream offers no GET stream (HTTP ${response.status})`);
        return "unsupported";
      }
      const gone = response.status === 404 || response.status === 400 || response.status === 410;
      return gone ? "gone" : "failed";
    } finally {
      this.#closed.signal.removeEventListener("abort", stop);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#closed.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#closed.signal.addEventListener("abort", done);
    });
  }
}
