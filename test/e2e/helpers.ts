/**
 * Shared spawning code for the end-to-end tests: the proxy (from source, or `$INTERCEPT_BIN`,
 * see intercept_command.ts) in front of a real upstream, driven by the MCP SDK's client or by
 * raw newline-delimited JSON-RPC.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type InterceptCommand, interceptCommand, ROOT } from "./intercept_command.ts";

export { ROOT };

/** The real upstream, pinned as in deno.json. */
export const EVERYTHING = [
  "deno",
  "run",
  "-A",
  "npm:@modelcontextprotocol/server-everything@2026.8.31",
  "stdio",
];

export const DENIAL_PREFIX = "[INTERCEPT POLICY DENIED] ";

export type JsonObject = Record<string, unknown>;

export function policyPath(name: string): string {
  return `${ROOT}test/e2e/policies/${name}`;
}

export function fixturePath(name: string): string {
  return `${ROOT}test/e2e/fixtures/${name}`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The environment for children: ours (Deno needs SSL_CERT_FILE etc.) without INTERCEPT_*. */
export function childEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("INTERCEPT_")),
  );
}

/** `intercept` arguments that run the proxy under `policy` in front of `upstream`. */
export function proxyArgs(policy: string, upstream: readonly string[], flags: string[] = []) {
  return ["-c", policy, ...flags, "--", ...upstream];
}

/** Runs `intercept ARGS...` to completion. */
export async function runIntercept(args: string[]) {
  const { command, args: argv } = interceptCommand(args);
  const output = await new Deno.Command(command, {
    args: argv,
    cwd: ROOT,
    env: childEnv(),
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** An SDK client connected through a proxy it spawns; `client.close()` ends both. */
export async function connectClient(
  policy: string,
  upstream: readonly string[],
  flags: string[] = [],
): Promise<Client> {
  const transport = new StdioClientTransport({
    ...interceptCommand(proxyArgs(policy, upstream, flags)),
    cwd: ROOT,
    env: childEnv(),
    stderr: "ignore",
  });
  const client = new Client({ name: "intercept-e2e", version: "1.0.0" });
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

/** The first text content of a tool result. */
export function textOf(result: JsonObject): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content[0]?.text ?? "";
}

/** The proxy's `_meta["intercept/decision"]` of a tool result. */
export function decisionOf(result: JsonObject): JsonObject {
  const meta = result._meta as JsonObject | undefined;
  const decision = meta?.["intercept/decision"];
  if (!isObject(decision)) throw new Error(`No intercept/decision in ${JSON.stringify(result)}`);
  return decision;
}

interface WaitOptions {
  /** Only messages received from this index on. */
  since?: number;
  timeoutMs?: number;
  what?: string;
}

/** The proxy spawned with piped stdio, spoken to in newline-delimited JSON-RPC. */
export class RawProxy {
  readonly child: Deno.ChildProcess;
  /** Every message the proxy wrote to stdout, parsed, in order. */
  readonly messages: unknown[] = [];
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #stderr = "";
  #stdoutEnded = false;
  #waiters = new Set<() => boolean>();
  #stderrWaiters = new Set<(ended: boolean) => void>();
  #stderrEnded = false;
  #readers: Promise<void>[];
  #streamReaders: ReadableStreamDefaultReader<Uint8Array>[] = [];
  #counter = 0;
  #encoder = new TextEncoder();

  /**
   * Starts `intercept ARGS...` (or, given `program`, that program instead: a bare server).
   * `env` is its whole environment (default: ours without INTERCEPT_*).
   */
  constructor(
    args: string[],
    options: { program?: InterceptCommand; env?: Record<string, string> } = {},
  ) {
    const { command, args: argv } = options.program ?? interceptCommand(args);
    this.child = new Deno.Command(command, {
      args: argv,
      cwd: ROOT,
      env: options.env ?? childEnv(),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#readers = [this.#readStdout(), this.#readStderr()];
  }

  static start(
    policy: string,
    upstream: readonly string[],
    flags: string[] = [],
    env?: Record<string, string>,
  ): RawProxy {
    return new RawProxy(proxyArgs(policy, upstream, flags), { env });
  }

  /** What the proxy and its upstream wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Sends one line: a string as is (raw bytes), anything else as JSON. */
  async send(message: unknown): Promise<void> {
    const line = typeof message === "string" ? message : JSON.stringify(message);
    await this.#writer.write(this.#encoder.encode(line + "\n"));
  }

  /** The first message from `since` on that satisfies `predicate`. */
  waitFor(predicate: (message: unknown) => boolean, options: WaitOptions = {}): Promise<unknown> {
    const { since = 0, timeoutMs = 15_000, what = "a message" } = options;
    return new Promise((resolve, reject) => {
      /** Settles the promise if it can: a match, or a stdout that has ended. */
      const settle = (): boolean => {
        for (let i = since; i < this.messages.length; i++) {
          if (predicate(this.messages[i])) {
            resolve(this.messages[i]);
            return true;
          }
        }
        if (!this.#stdoutEnded) return false;
        reject(new Error(`The proxy's stdout ended before ${what}; stderr:\n${this.#stderr}`));
        return true;
      };
      if (settle()) return;
      const check = (): boolean => {
        if (!settle()) return false;
        clearTimeout(timer);
        this.#waiters.delete(check);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`No ${what} within ${timeoutMs} ms; stderr:\n${this.#stderr}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** The answer (result or error) to the request with `id`. */
  async answerTo(id: unknown, options: WaitOptions = {}): Promise<JsonObject> {
    const answer = await this.waitFor(
      (m) => isObject(m) && m.id === id && ("result" in m || "error" in m),
      { what: `an answer to id ${JSON.stringify(id)}`, ...options },
    );
    return answer as JsonObject;
  }

  /** Sends a request with a fresh string id and returns its answer. */
  async request(method: string, params?: JsonObject): Promise<JsonObject> {
    const id = `req-${++this.#counter}`;
    await this.send({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    return this.answerTo(id);
  }

  /** The MCP handshake: `initialize`, then `notifications/initialized`. */
  async initialize(): Promise<JsonObject> {
    const answer = await this.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "intercept-e2e-raw", version: "1.0.0" },
    });
    if (!isObject(answer.result)) throw new Error(`initialize failed: ${JSON.stringify(answer)}`);
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return answer.result;
  }

  async closeStdin(): Promise<void> {
    try {
      await this.#writer.close();
    } catch {
      // The proxy is gone already.
    }
  }

  /** Waits for the proxy to exit; null when it has not within `timeoutMs`. */
  async exited(timeoutMs = 15_000): Promise<Deno.CommandStatus | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), timeoutMs)
    );
    try {
      return await Promise.race([this.child.status, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the proxy (stdin first, then signals) and releases every resource. */
  async dispose(): Promise<Deno.CommandStatus> {
    await this.closeStdin();
    let status = await this.exited(10_000);
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      if (status) break;
      try {
        this.child.kill(signal);
      } catch {
        // Exited in between.
      }
      status = await this.exited(5_000);
    }
    status ??= await this.child.status;
    // Its pipes close with it, unless a process it left behind still holds one.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const readersDone = Promise.all(this.#readers).then(() => true);
    const timeout = new Promise<false>((resolve) =>
      timer = setTimeout(() => resolve(false), 2_000)
    );
    const closed = await Promise.race([readersDone, timeout]);
    clearTimeout(timer);
    if (!closed) {
      await this.#cancelReads();
      await readersDone;
    }
    return status;
  }

  async #readStdout(): Promise<void> {
    let buffered = "";
    try {
      for await (const text of this.#read(this.child.stdout)) {
        buffered += text;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() === "") continue;
          try {
            this.messages.push(JSON.parse(line));
          } catch {
            this.messages.push({ unparsable: line });
          }
          for (const check of [...this.#waiters]) check();
        }
      }
    } finally {
      this.#stdoutEnded = true;
      for (const check of [...this.#waiters]) check();
    }
  }

  async #readStderr(): Promise<void> {
    try {
      for await (const text of this.#read(this.child.stderr)) {
        this.#stderr += text;
        for (const check of [...this.#stderrWaiters]) check(false);
      }
    } finally {
      this.#stderrEnded = true;
      for (const check of [...this.#stderrWaiters]) check(true);
    }
  }

  /** The first match of `pattern` in what the proxy writes to stderr (a URL it logs). */
  stderrMatch(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (ended: boolean) => {
        const match = pattern.exec(this.#stderr);
        if (!match && !ended) return;
        clearTimeout(timer);
        this.#stderrWaiters.delete(check);
        if (match) resolve(match);
        else reject(new Error(`The proxy's stderr ended without ${pattern}:\n${this.#stderr}`));
      };
      const timer = setTimeout(() => {
        this.#stderrWaiters.delete(check);
        reject(new Error(`No ${pattern} on stderr within ${timeoutMs} ms:\n${this.#stderr}`));
      }, timeoutMs);
      this.#stderrWaiters.add(check);
      check(this.#stderrEnded);
    });
  }

  /** Decoded chunks of `stream`; `#cancelReads` ends them (an orphan may hold a pipe open). */
  async *#read(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
    const reader = stream.getReader();
    this.#streamReaders.push(reader);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        yield decoder.decode(value, { stream: true });
      }
    } finally {
      reader.releaseLock();
    }
  }

  async #cancelReads(): Promise<void> {
    await Promise.all(this.#streamReaders.map((reader) => reader.cancel().catch(() => {})));
  }
}

/**
 * A tap on an upstream's stdin: the upstream runs as `tee -a FILE | CMD`, so the file holds
 * every line the proxy forwarded to it, as sent.
 */
export class Tap {
  private constructor(readonly path: string) {}

  static async create(): Promise<Tap> {
    return new Tap(await Deno.makeTempFile({ prefix: "intercept-e2e-tap-" }));
  }

  /** `command` behind the tap. */
  wrap(command: readonly string[]): string[] {
    return ["sh", "-c", 'tee -a "$0" | "$@"', this.path, ...command];
  }

  /** Every complete line the upstream received so far. */
  async lines(): Promise<string[]> {
    const text = await Deno.readTextFile(this.path);
    return text.split("\n").slice(0, -1).filter((line) => line.trim() !== "");
  }

  async messages(): Promise<unknown[]> {
    return (await this.lines()).map((line) => JSON.parse(line));
  }

  /** Every message so far, once one satisfies `predicate` (the tap writes after the pipe). */
  async waitFor(predicate: (message: unknown) => boolean, timeoutMs = 5_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = await this.messages();
      if (messages.some(predicate)) return messages;
      if (Date.now() > deadline) {
        throw new Error(
          `The upstream never received the awaited message: ${JSON.stringify(messages)}`,
        );
      }
      await delay(20);
    }
  }

  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}

/** The `tools/call` requests among `messages` (what the upstream was asked to run). */
export function toolCalls(messages: readonly unknown[]): JsonObject[] {
  return messages.filter((m): m is JsonObject => isObject(m) && m.method === "tools/call");
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
