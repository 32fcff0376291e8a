/**
 * A lean JSON-RPC client over a child process's stdin/stdout (newline-delimited), used the same
 * way for the direct and the proxied path so that its own cost cancels out. Requests queued in
 * the same turn of the event loop go out in one write.
 */

export type JsonObject = Record<string, unknown>;

const NEWLINE = 0x0a;
const CLOSE_TIMEOUT_MS = 10_000;
const GONE: JsonObject = Object.freeze({
  error: { code: -32000, message: "The process closed its stdout before answering" },
});

export class RpcChild {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  readonly #pending = new Map<number, (message: JsonObject) => void>();
  readonly #reading: Promise<void>;
  #queue: string[] = [];
  #nextId = 1;
  #closed = false;
  #ended = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reading = this.#read();
  }

  /** Spawns `command` with piped stdin/stdout; stderr is inherited so crashes show. */
  static spawn(command: string, args: readonly string[], env?: Record<string, string>): RpcChild {
    const child = new Deno.Command(command, {
      args: [...args],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new RpcChild(child);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Sends a request; resolves with its response (result or error). */
  request(method: string, params?: unknown): Promise<JsonObject> {
    if (this.#ended) return Promise.resolve(GONE);
    const id = this.#nextId++;
    const promise = new Promise<JsonObject>((resolve) => this.#pending.set(id, resolve));
    this.#send({ jsonrpc: "2.0", id, method, params });
    return promise;
  }

  notify(method: string, params?: unknown): void {
    this.#send({ jsonrpc: "2.0", method, params });
  }

  /**
   * `initialize` then `notifications/initialized`, as an MCP client starts a session; throws
   * when the peer does not answer with a result (it failed to start).
   */
  async initialize(): Promise<JsonObject> {
    const answer = await this.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "intercept-bench", version: "1.0.0" },
    });
    if (answer.result === undefined) {
      throw new Error(`The peer did not initialize: ${JSON.stringify(answer.error ?? answer)}`);
    }
    this.notify("notifications/initialized");
    return answer;
  }

  /** Closes the child's stdin and waits for it to exit (killing it after a timeout). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer.close();
    } catch {
      // Already gone.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), CLOSE_TIMEOUT_MS);
    });
    const outcome = await Promise.race([this.#child.status, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Exited meanwhile.
      }
      await this.#child.status;
    }
    await this.#reading;
  }

  #send(message: JsonObject): void {
    this.#queue.push(JSON.stringify(message));
    if (this.#queue.length === 1) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const text = this.#queue.join("\n") + "\n";
    this.#queue = [];
    this.#writer.write(this.#encoder.encode(text)).catch(() => {});
  }

  async #read(): Promise<void> {
    let pending = new Uint8Array(0);
    try {
      for await (const chunk of this.#child.stdout) {
        const data = pending.length === 0 ? chunk : concat(pending, chunk);
        let start = 0;
        for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
          if (end > start) this.#receive(this.#decoder.decode(data.subarray(start, end)));
          start = end + 1;
        }
        pending = data.slice(start);
      }
    } catch {
      // A broken pipe ends the stream like EOF does.
    }
    this.#ended = true;
    for (const resolve of this.#pending.values()) resolve(GONE);
    this.#pending.clear();
  }

  #receive(line: string): void {
    let message: JsonObject;
    try {
      message = JSON.parse(line);
    } catch {
      return; // not JSON-RPC (a runtime writing to stdout): no request waits for it
    }
    if (typeof message.id !== "number") return;
    const resolve = this.#pending.get(message.id);
    if (!resolve) return;
    this.#pending.delete(message.id);
    resolve(message);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** True when a `tools/call` response is a plain success (not a denial, not an error). */
export function callSucceeded(response: JsonObject): boolean {
  const result = response.result as JsonObject | undefined;
  return result !== undefined && result.isError !== true;
}
