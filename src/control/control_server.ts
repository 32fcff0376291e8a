/**
 * The proxy's control socket: a Unix socket in a folder only its user can enter, speaking
 * newline-delimited JSON-RPC 2.0 (see protocol.ts). Events reach subscribers through
 * per-connection bounded queues, so a stuck dashboard never slows the proxy.
 */
import { ControlConnection } from "./control_connection.ts";
import {
  claimSocketPath,
  ControlSocketError,
  parentOf,
  prepareControlFolder,
  removeIfPresent,
} from "./control_folder.ts";
import { handleLine, handleOversize, type RequestContext } from "./control_requests.ts";
import type { ControlTarget } from "./control_target.ts";
import { CONTROL_LINE_LIMIT, type ControlEvent, type DecisionNotice } from "./protocol.ts";

export { ControlSocketError } from "./control_folder.ts";

export interface ControlServer {
  readonly path: string;
  /** Stops listening, ends every connection and removes the socket file. */
  close(): Promise<void>;
}

export interface ControlServerOptions {
  log?: (message: string) => void;
  /** Notifications queued per connection before the oldest are dropped (default 1000). */
  maxQueuedLines?: number;
  /** Longest request line in bytes (default CONTROL_LINE_LIMIT). */
  lineLimit?: number;
  /** Connections held at once (default 64); past it the longest idle one gives way. */
  maxConnections?: number;
  /** Subscribed connections (dashboards) held at once (default 16). */
  maxSubscribers?: number;
  /** A connection that is not subscribed and sends nothing this long is closed (10 s). */
  idleMs?: number;
}

const DEFAULT_MAX_QUEUED_LINES = 1000;
/** Dashboards and ctl calls of one machine; more is a runaway client. */
const DEFAULT_MAX_CONNECTIONS = 64;
/** Well under the connection bound, so that a request always finds a slot. */
const DEFAULT_MAX_SUBSCRIBERS = 16;
const DEFAULT_IDLE_MS = 10_000;

/** Listens on `path`, after making its folder safe and clearing a stale socket there. */
export async function startControlServer(
  path: string,
  target: ControlTarget,
  options: ControlServerOptions = {},
): Promise<ControlServer> {
  await prepareControlFolder(parentOf(path));
  await claimSocketPath(path);
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ControlSocketError(
        `Cannot create control socket ${path}: another process took the path meanwhile`,
      );
    }
    throw new ControlSocketError(
      `Cannot create control socket ${path}: ${(error as Error).message}`,
    );
  }
  try {
    await Deno.chmod(path, 0o600);
  } catch (error) {
    listener.close();
    throw error;
  }
  return new UnixControlServer(path, listener, target, options);
}

class UnixControlServer implements ControlServer {
  readonly #connections = new Set<ControlConnection>();
  readonly #subscribers = new Set<ControlConnection>();
  readonly #listener: Deno.UnixListener;
  readonly #log: (message: string) => void;
  readonly #limits: { lineLimit: number; maxQueuedLines: number; idleMs: number };
  readonly #maxConnections: number;
  readonly #maxSubscribers: number;
  readonly #context: RequestContext;
  readonly #unsubscribe: () => void;
  readonly #accepting: Promise<void>;
  /** Said once per run of refused connections, not once each. */
  #refusing = false;
  /** Said once: a client that opens connections in a loop would flood the log. */
  #evicting = false;
  #closing: Promise<void> | null = null;

  constructor(
    readonly path: string,
    listener: Deno.UnixListener,
    target: ControlTarget,
    options: ControlServerOptions,
  ) {
    this.#listener = listener;
    this.#log = options.log ?? (() => {});
    this.#limits = {
      lineLimit: options.lineLimit ?? CONTROL_LINE_LIMIT,
      maxQueuedLines: options.maxQueuedLines ?? DEFAULT_MAX_QUEUED_LINES,
      idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
    };
    this.#maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.#maxSubscribers = Math.min(
      options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS,
      this.#maxConnections - 1,
    );
    this.#context = {
      target,
      log: this.#log,
      subscribe: (connection, backfill) => this.#subscribe(connection, backfill),
      subscribed: (connection) => this.#subscribers.has(connection),
      subscriberSlots: () => this.#maxSubscribers - this.#subscribers.size,
    };
    this.#unsubscribe = target.subscribe((event) => this.#broadcast(event));
    this.#accepting = this.#accept();
  }

  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#unsubscribe();
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#accepting;
    await Promise.all([...this.#connections].map((connection) => connection.close()));
    // Deno unlinks the socket when the listener closes; this covers runtimes that do not.
    await removeIfPresent(this.path);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#closing || !this.#makeRoom()) {
          if (!this.#closing && !this.#refusing) {
            this.#log(
              `Control socket ${this.path}: ${this.#maxConnections} connections busy, refusing more`,
            );
          }
          this.#refusing = true;
          conn.close();
          continue;
        }
        this.#refusing = false;
        this.#connections.add(new ControlConnection(conn, this.#limits, this.#handlers));
      }
    } catch (error) {
      if (!this.#closing) {
        this.#log(`Control socket ${this.path} stopped accepting: ${(error as Error).message}`);
      }
    }
  }

  readonly #handlers = {
    line: (connection: ControlConnection, text: string) =>
      handleLine(this.#context, connection, text),
    oversize: (connection: ControlConnection, line: { size: number; head: string; tail: string }) =>
      handleOversize(connection, line, this.#limits.lineLimit),
    closed: (connection: ControlConnection) => {
      this.#connections.delete(connection);
      this.#subscribers.delete(connection);
    },
    log: (message: string) => this.#log(message),
  };

  /**
   * Whether a new connection fits: at the bound, the connection idle the longest that is
   * neither subscribed nor waiting for an answer is closed to make room. Subscribers are
   * bounded below the connection bound, so there is always one unless every request is busy.
   */
  #makeRoom(): boolean {
    if (this.#connections.size < this.#maxConnections) {
      this.#evicting = false;
      return true;
    }
    let oldest: ControlConnection | null = null;
    for (const connection of this.#connections) {
      if (this.#subscribers.has(connection) || connection.busy) continue;
      if (!oldest || connection.lastActivity < oldest.lastActivity) oldest = connection;
    }
    if (!oldest) return false;
    if (!this.#evicting) {
      this.#log(
        `Control socket ${this.path}: ${this.#maxConnections} connections, ` +
          "closing the longest idle ones to make room",
      );
    }
    this.#evicting = true;
    // Removed at once, so the count is right before the close completes.
    this.#connections.delete(oldest);
    void oldest.close();
    return true;
  }

  #subscribe(connection: ControlConnection, backfill: DecisionNotice[]): void {
    if (!connection.open) return;
    connection.keepAlive();
    for (const notice of backfill) connection.sendNotice("decision", JSON.stringify(notice));
    this.#subscribers.add(connection);
  }

  /** Runs inside the proxy's event emission: serialize once, queue, return. */
  #broadcast(event: ControlEvent): void {
    if (this.#subscribers.size === 0) return;
    let params: string;
    try {
      params = JSON.stringify(event.params);
    } catch (error) {
      this.#log(`Cannot send a ${event.method} event: ${(error as Error).message}`);
      return;
    }
    for (const connection of this.#subscribers) connection.sendNotice(event.method, params);
  }
}
