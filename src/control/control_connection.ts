/**
 * One client of the control socket: reads newline-framed requests with a size limit, and
 * writes answers and notifications through a bounded queue so that a client that stops
 * reading costs the proxy neither time nor unbounded memory.
 */
import { LineSplitter, type OversizeLine } from "../transports/line_splitter.ts";
import { OutboundQueue } from "./outbound_queue.ts";
import { writeAll } from "./socket_io.ts";

export interface ConnectionHandlers {
  line(connection: ControlConnection, text: string): void;
  oversize(connection: ControlConnection, line: OversizeLine): void;
  /** The connection closed, for whatever reason; called once. */
  closed(connection: ControlConnection): void;
  log(message: string): void;
}

export interface ConnectionLimits {
  lineLimit: number;
  maxQueuedLines: number;
  /** A connection that sends nothing and waits for nothing this long is closed. */
  idleMs: number;
}

/** Lines per write: large enough to catch up quickly, small enough to interleave answers. */
const BATCH_LINES = 256;
const READ_BUFFER = 64 * 1024;

const encoder = new TextEncoder();
/** Orders connections by their last activity, without a clock. */
let activityTick = 0;

export class ControlConnection {
  static #nextId = 1;
  readonly id = ControlConnection.#nextId++;
  /** Higher is more recent: bumped by every read and every answered request. */
  lastActivity = ++activityTick;
  readonly #conn: Deno.Conn;
  readonly #handlers: ConnectionHandlers;
  readonly #queue: OutboundQueue;
  readonly #limits: ConnectionLimits;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #reading: Promise<void>;
  #pumping: Promise<void> | null = null;
  #open = true;
  #dropping = false;
  #finished: Promise<void> | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #keptAlive = false;

  constructor(conn: Deno.Conn, limits: ConnectionLimits, handlers: ConnectionHandlers) {
    this.#conn = conn;
    this.#limits = limits;
    this.#handlers = handlers;
    this.#queue = new OutboundQueue(limits.maxQueuedLines);
    this.#armIdle();
    this.#reading = this.#read();
  }

  get open(): boolean {
    return this.#open;
  }

  /** Whether a request of this connection is still being answered. */
  get busy(): boolean {
    return this.#inFlight.size > 0;
  }

  /** Exempts the connection from the idle timeout (a subscriber waits for events). */
  keepAlive(): void {
    this.#keptAlive = true;
    this.#clearIdle();
  }

  /** Queues an answer; answers are never dropped. */
  sendResponse(message: unknown): void {
    if (!this.#open) return;
    this.#queue.pushResponse(JSON.stringify(message));
    this.#schedule();
  }

  /** Queues a notification whose params are already JSON; returns at once. */
  sendNotice(method: string, params: string): void {
    if (!this.#open) return;
    const dropped = this.#queue.pushNotice(method, params);
    if (dropped > 0 && !this.#dropping) {
      this.#dropping = true;
      this.#handlers.log(
        `Control connection #${this.id} is not reading; dropping its oldest notifications`,
      );
    }
    this.#schedule();
  }

  /** Keeps the connection open until an asynchronous request is answered. */
  track(work: Promise<void>): void {
    const done = () => {
      this.#inFlight.delete(work);
      this.#touch();
    };
    this.#inFlight.add(work);
    work.then(done, done);
  }

  /** Ends the connection; resolves once its reads and writes have stopped. */
  close(): Promise<void> {
    this.#shutdown();
    return this.#finished ??= this.#reading.then(async () => {
      while (this.#pumping) await this.#pumping;
    });
  }

  async #read(): Promise<void> {
    const splitter = new LineSplitter(this.#limits.lineLimit, {
      line: (text) => this.#open && this.#handlers.line(this, text),
      oversize: (line) => this.#open && this.#handlers.oversize(this, line),
    });
    const buffer = new Uint8Array(READ_BUFFER);
    try {
      while (this.#open) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#touch();
        splitter.push(buffer.subarray(0, n));
        // A client that sends requests without reading the answers waits for them.
        while (this.#open && this.#pumping && this.#queue.responses > this.#limits.maxQueuedLines) {
          await this.#pumping;
        }
      }
      splitter.end();
      // The client finished writing: answer what it asked, then hang up.
      while (this.#open && this.#inFlight.size > 0) await Promise.allSettled(this.#inFlight);
      while (this.#open && this.#pumping) await this.#pumping;
    } catch {
      // Reset by the peer, or closed by us: either way the connection is over.
    } finally {
      this.#shutdown();
    }
  }

  #touch(): void {
    this.lastActivity = ++activityTick;
    this.#armIdle();
  }

  #armIdle(): void {
    this.#clearIdle();
    if (this.#keptAlive || !this.#open) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      // A slow request (a large reload) is not idleness: wait for its answer.
      if (this.busy) this.#armIdle();
      else this.#shutdown();
    }, this.#limits.idleMs);
  }

  #clearIdle(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #schedule(): void {
    if (!this.#pumping && this.#open) this.#pumping = this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      // Lines queued in the same turn go out in one write.
      await Promise.resolve();
      while (this.#open && this.#queue.size > 0) {
        const lines = this.#queue.take(BATCH_LINES);
        await writeAll(this.#conn, encoder.encode(lines.join("\n") + "\n"));
      }
      this.#dropping = false;
    } catch {
      this.#shutdown();
    } finally {
      this.#pumping = null;
    }
  }

  #shutdown(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#clearIdle();
    this.#queue.clear();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#handlers.closed(this);
  }
}
