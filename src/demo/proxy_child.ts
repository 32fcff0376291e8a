/**
 * The demo's proxy as a child process, spawned before the agent's MCP client is loaded (the
 * proxy boots while the client's modules load), and its stdio as the client's transport:
 * newline-delimited JSON-RPC, the shape of the SDK's `Transport`. Being no SDK stdio transport,
 * it makes the client send its `server/discover` probe in place, on this same process (the
 * proxy and the demo server answer a probe in place; one proxy serves the demo).
 *
 * Nothing from the SDK is loaded here at run time (types only).
 */
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/client";
import { settlesWithin } from "../transports/settles_within.ts";

/** The proxy's stderr kept for an error message: its last 4 KiB. */
const STDERR_TAIL = 4_096;
/** A line from the proxy longer than this (in UTF-16 units) is an error and ends the link. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
/** How long `close()` waits for the proxy to end after its stdin closes, then after SIGTERM. */
const CLOSE_GRACE_MS = 2_000;

export interface ProxyChildOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export class ProxyChild {
  readonly #process: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stderrDone: Promise<void>;
  readonly #exited: Promise<Deno.CommandStatus>;
  #stderr = "";
  #transport: ProxyTransport | null = null;
  #closing: Promise<void> | null = null;

  private constructor(process: Deno.ChildProcess) {
    this.#process = process;
    this.#stdin = process.stdin.getWriter();
    this.#exited = process.status;
    // Read from the start, so that a chatty proxy never blocks on a full pipe.
    this.#stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of process.stderr) {
        this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true }))
          .slice(-STDERR_TAIL);
      }
    })().catch(() => {});
  }

  /** Spawns `command` with piped stdio; throws when it cannot be started. */
  static spawn(command: readonly string[], options: ProxyChildOptions = {}): ProxyChild {
    const process = new Deno.Command(command[0], {
      args: command.slice(1),
      env: options.env,
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new ProxyChild(process);
  }

  get pid(): number {
    return this.#process.pid;
  }

  /** The last of what the proxy wrote to stderr (all of it, once it has ended). */
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves when the proxy has ended and its stderr is read to the end. */
  async ended(): Promise<Deno.CommandStatus> {
    const status = await this.#exited;
    await this.#stderrDone;
    return status;
  }

  /** The client's transport on this process: one, for one client. */
  transport(): Transport {
    if (this.#transport) throw new Error("The proxy's transport is already taken");
    return this.#transport = new ProxyTransport(this);
  }

  /** Writes a line to the proxy's stdin. */
  write(bytes: Uint8Array): Promise<void> {
    return this.#stdin.write(bytes);
  }

  get stdout(): ReadableStream<Uint8Array> {
    return this.#process.stdout;
  }

  /**
   * Ends the proxy as a client does: closes its stdin (it then ends its server and exits),
   * SIGTERM after 2 s, SIGKILL 2 s later. Resolves when it has exited.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await this.#stdin.close().catch(() => {});
      if (await settlesWithin(this.ended(), CLOSE_GRACE_MS)) return;
      this.#kill("SIGTERM");
      if (await settlesWithin(this.ended(), CLOSE_GRACE_MS)) return;
      this.#kill("SIGKILL");
      await this.ended();
    })();
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.#process.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

class ProxyTransport implements Transport {
  readonly #child: ProxyChild;
  readonly #encoder = new TextEncoder();
  #started = false;
  #closed = false;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  constructor(child: ProxyChild) {
    this.#child = child;
  }

  start(): Promise<void> {
    if (this.#started) throw new Error("The proxy's transport is already started");
    this.#started = true;
    void this.#read();
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error("The proxy's transport is closed");
    await this.#child.write(this.#encoder.encode(JSON.stringify(message) + "\n"));
  }

  async close(): Promise<void> {
    await this.#child.close();
    this.#end();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of this.#child.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          this.#take(line);
        }
        if (buffer.length > MAX_LINE_CHARS) {
          throw new Error(`The proxy wrote a line longer than ${MAX_LINE_CHARS} characters`);
        }
      }
    } catch (error) {
      this.onerror?.(error as Error);
      void this.#child.close();
    }
    // Its stderr read to the end first, so that an error message can quote all of it.
    await this.#child.ended();
    this.#end();
  }

  #take(line: string): void {
    if (line.trim() === "") return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return; // Not JSON: a stray line, skipped as the SDK's own stdio transport does.
    }
    if (
      typeof message !== "object" || message === null ||
      (message as { jsonrpc?: unknown }).jsonrpc !== "2.0"
    ) {
      this.onerror?.(new Error(`The proxy sent a line that is no JSON-RPC message`));
      return;
    }
    this.onmessage?.(message as JSONRPCMessage);
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}
