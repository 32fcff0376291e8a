/**
 * A connection to one proxy's control socket, for `intercept ctl` and the dashboard:
 * requests with timeouts, and the events a `subscribe` starts.
 */
import { isObject, isValidId } from "../proxy/jsonrpc.ts";
import { LineSplitter } from "../transports/line_splitter.ts";
import { CONTROL_LINE_LIMIT, type ControlEvent, type ControlMethod } from "./protocol.ts";
import { connectionFailure, writeAll } from "./socket_io.ts";

/** The proxy answered a request with a JSON-RPC error. */
export class ControlRequestError extends Error {
  override name = "ControlRequestError";
  constructor(message: string, readonly code: number, readonly data?: unknown) {
    super(message);
  }
}

/** The proxy did not answer in time; the request may still be carried out. */
export class ControlTimeoutError extends Error {
  override name = "ControlTimeoutError";
}

/** Nobody answered at the socket; `notRunning` when nothing listens there (absent or stale). */
export class ControlConnectError extends Error {
  override name = "ControlConnectError";
  constructor(message: string, readonly path: string, readonly notRunning: boolean) {
    super(message);
  }
}

export interface ConnectOptions {
  /** How long connecting may take (default 2000 ms). */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** How long to wait for the answer (default 15000 ms). */
  timeoutMs?: number;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const encoder = new TextEncoder();

export class ControlClient {
  readonly #conn: Deno.Conn;
  readonly #pending = new Map<number, Pending>();
  readonly #eventListeners = new Set<(event: ControlEvent) => void>();
  readonly #closeListeners = new Set<() => void>();
  #nextId = 1;
  #open = true;
  #writing: Promise<void> = Promise.resolve();
  /** Resolves once the connection is fully closed (its read loop has ended). */
  readonly closed: Promise<void>;

  private constructor(readonly path: string, conn: Deno.Conn) {
    this.#conn = conn;
    this.closed = this.#read();
  }

  static async connect(path: string, options: ConnectOptions = {}): Promise<ControlClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const connecting = Deno.connect({ transport: "unix", path });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ControlConnectError(`Timed out connecting to ${path}`, path, false)),
        timeoutMs,
      );
    });
    try {
      return new ControlClient(path, await Promise.race([connecting, timeout]));
    } catch (error) {
      // A connect that completes after the timeout must not leak.
      connecting.then((conn) => conn.close(), () => {});
      if (error instanceof ControlConnectError) throw error;
      throw describeConnectError(path, error);
    } finally {
      clearTimeout(timer);
    }
  }

  get open(): boolean {
    return this.#open;
  }

  /** Sends a request; rejects with `ControlRequestError` when the proxy answers an error. */
  request<T = unknown>(
    method: ControlMethod,
    params?: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<T> {
    if (!this.#open) {
      return Promise.reject(new Error(`Connection to ${this.path} is closed`));
    }
    const id = this.#nextId++;
    const message = params === undefined
      ? { jsonrpc: "2.0", id, method }
      : { jsonrpc: "2.0", id, method, params };
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new ControlTimeoutError(`${this.path} did not answer "${method}" within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.#write(JSON.stringify(message) + "\n");
    });
  }

  /** Listens to notifications (after `subscribe`); returns the function that stops it. */
  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => void this.#eventListeners.delete(listener);
  }

  /** Called once when the connection ends, whichever side ended it. */
  onClose(listener: () => void): () => void {
    this.#closeListeners.add(listener);
    return () => void this.#closeListeners.delete(listener);
  }

  close(): void {
    this.#shutdown();
  }

  #write(line: string): void {
    const bytes = encoder.encode(line);
    this.#writing = this.#writing
      .then(() => this.#open ? writeAll(this.#conn, bytes) : undefined)
      .catch(() => this.#shutdown());
  }

  async #read(): Promise<void> {
    const splitter = new LineSplitter(CONTROL_LINE_LIMIT, {
      line: (text) => this.#receive(text),
      oversize: (line) => {
        const id = /"id"\s*:\s*(\d+)/.exec(line.head)?.[1];
        const pending = id === undefined ? undefined : this.#pending.get(Number(id));
        if (pending) {
          this.#settle(Number(id))?.reject(
            new Error(`The answer to "${pending.method}" is over ${CONTROL_LINE_LIMIT} bytes`),
          );
        }
      },
    });
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (this.#open) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        splitter.push(buffer.subarray(0, n));
      }
    } catch {
      // Reset by the proxy, or closed by us.
    } finally {
      this.#shutdown();
    }
  }

  #receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!isObject(message)) return;
    if (typeof message.method === "string" && !("id" in message)) {
      const event = { method: message.method, params: message.params } as ControlEvent;
      for (const listener of [...this.#eventListeners]) {
        try {
          listener(event);
        } catch (error) {
          // A listener's bug must not end the connection; it still surfaces.
          reportError(error);
        }
      }
      return;
    }
    if (!isValidId(message.id) || typeof message.id !== "number") return;
    const pending = this.#settle(message.id);
    if (!pending) return;
    if (isObject(message.error)) {
      const { code, message: text, data } = message.error;
      pending.reject(
        new ControlRequestError(
          typeof text === "string" ? text : "The proxy refused the request",
          typeof code === "number" ? code : 0,
          data,
        ),
      );
    } else pending.resolve(message.result);
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }

  #shutdown(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    for (const id of [...this.#pending.keys()]) {
      const pending = this.#settle(id)!;
      pending.reject(
        new Error(`Connection to ${this.path} closed before "${pending.method}" was answered`),
      );
    }
    for (const listener of [...this.#closeListeners]) listener();
  }
}

function describeConnectError(path: string, error: unknown): ControlConnectError {
  const kind = connectionFailure(error);
  if (kind === "not-running") {
    const why = error instanceof Deno.errors.NotFound ? "no socket there" : "connection refused";
    return new ControlConnectError(
      `Cannot connect to ${path}: the proxy is not running (${why})`,
      path,
      true,
    );
  }
  if (kind === "denied") {
    return new ControlConnectError(`Cannot connect to ${path}: permission denied`, path, false);
  }
  return new ControlConnectError(
    `Cannot connect to ${path}: ${(error as Error).message}`,
    path,
    false,
  );
}
