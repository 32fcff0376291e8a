/**
 * The seams of the dashboard store: a connection to one proxy's control socket, how to open
 * one, how to find proxies, and the clock and timers. Production passes `ControlClient` and
 * `discoverProxies`; tests pass fakes, so no test needs a socket.
 */
import type { ControlEvent, ControlMethod } from "../src/control/protocol.ts";

/** What the store needs from a control connection (`ControlClient` has this shape). */
export interface ProxyLink {
  readonly path: string;
  request<T = unknown>(method: ControlMethod, params?: Record<string, unknown>): Promise<T>;
  /** Notifications after `subscribe`, the backfill first; returns the unsubscribe function. */
  onEvent(listener: (event: ControlEvent) => void): () => void;
  onClose(listener: () => void): () => void;
  close(): void;
}

export type ConnectFn = (path: string) => Promise<ProxyLink>;

/** Socket paths of the live proxies to show; problems with a folder go to `onProblem`. */
export type DiscoverFn = (onProblem: (problem: string) => void) => Promise<string[]>;

/** What the dashboard watches: every proxy in some folders, or the one `--control PATH`. */
export type WatchSource =
  | { kind: "dirs"; locations: readonly string[] }
  | { kind: "path"; location: string };

/** An opaque timer handle: a number in Deno, an object under Node's types. */
export type TimerId = unknown;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** Whether a socket file is still there; a proxy whose socket is gone has exited. */
export async function socketExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    return true;
  }
}

/**
 * The text of a failed request: a JSON-RPC error's message, followed by the located errors a
 * refused reload carries in `data.errors`.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error) && (typeof error !== "object" || error === null)) {
    return String(error);
  }
  const { message, data } = error as { message?: unknown; data?: unknown };
  const text = typeof message === "string" && message !== "" ? message : String(error);
  const errors = (data as { errors?: unknown } | null | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return text;
  const lines = errors.map((item) =>
    typeof item === "string"
      ? item
      : (item as { message?: string })?.message ?? JSON.stringify(item)
  );
  return [text, ...lines.filter((line) => line !== text)].join("\n");
}
