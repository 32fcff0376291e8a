/**
 * A stdio session in memory for serveStdio tests: our stdin and stdout as the client drives
 * them, a fake server, the process's signals, and `start()` to run serveStdio over them.
 */
import type { Logger } from "../../src/cli/log.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import type { ProxyRuntime } from "../../src/proxy/proxy_runtime.ts";
import { serveStdio } from "../../src/proxy/serve_stdio.ts";
import type { LineChannelHandlers } from "../../src/transports/stdio.ts";
import type { Upstream } from "../../src/transports/upstream.ts";
import { call, flush, line, type Message } from "./support.ts";

export const ALLOW_ALL = `version: "1"\ndefault: allow\ntools: {}\n`;
export const DENY_ALL = `version: "1"\ndefault: deny\ntools: {}\n`;

export function policyOf(text: string, source: string): CompiledPolicy {
  return loadPolicyText(text, source);
}

/** The client's side of our stdin: one chunk per read, and only when the proxy reads. */
export class ClientInput {
  readonly #queue: (Uint8Array | null)[] = [];
  #wake: (() => void) | null = null;
  /** Chunks the proxy has read. */
  read = 0;
  readonly #ended = Promise.withResolvers<void>();
  readonly stream = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      while (this.#queue.length === 0) await new Promise<void>((wake) => this.#wake = wake);
      const chunk = this.#queue.shift()!;
      if (chunk === null) {
        controller.close();
        return this.#ended.resolve();
      }
      this.read++;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });

  /** Queues one chunk holding these messages, a line each. */
  send(...messages: unknown[]): void {
    this.#push(new TextEncoder().encode(messages.map((m) => line(m) + "\n").join("")));
  }

  /** The client closes our stdin once what was sent is read. */
  close(): void {
    this.#push(null);
  }

  /** Closes our stdin and waits until the proxy has read to its end. */
  async closeAndWait(): Promise<void> {
    this.close();
    await this.#ended.promise;
    await flush();
  }

  #push(chunk: Uint8Array | null): void {
    this.#queue.push(chunk);
    this.#wake?.();
    this.#wake = null;
  }
}

/** Our stdout as the client reads it; `hold()` makes it stop reading. */
export class ClientOutput {
  readonly #decoder = new TextDecoder();
  #text = "";
  #held: PromiseWithResolvers<void> | null = null;
  readonly stream = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      if (this.#held) await this.#held.promise;
      this.#text += this.#decoder.decode(chunk, { stream: true });
    },
  });

  hold(): void {
    this.#held = Promise.withResolvers();
  }

  release(): void {
    this.#held?.resolve();
    this.#held = null;
  }

  get messages(): Message[] {
    return this.#text.split("\n").filter((text) => text).map((text) => JSON.parse(text));
  }
}

/** What the fake server answers: who it is to `initialize`, one tool, `{content: []}` else. */
function resultFor(method: string): unknown {
  if (method === "initialize") {
    return {
      protocolVersion: "2025-11-25",
      capabilities: { tools: {} },
      serverInfo: { name: "fake-server", version: "1.0" },
    };
  }
  if (method === "tools/list") {
    return { tools: ["echo", "list-topics"].map((name) => ({ name, inputSchema: {} })) };
  }
  return { content: [] };
}

/** A server that answers every request at once and exits when its stdin ends. */
export class FakeServer implements Upstream {
  readonly description = ["fake-server"];
  readonly pid = null;
  /** What the proxy sent up, parsed. */
  readonly received: Message[] = [];
  /** What it had received when the proxy closed its stdin; null until then. */
  receivedAtShutdown: Message[] | null = null;
  readonly signals: Deno.Signal[] = [];
  terminated = false;
  /** Exits on SIGTERM unless told to ignore it (SIGKILL always ends it). */
  ignoresSigterm = false;
  /** Answers requests; when false, it takes them and never answers. */
  answers = true;
  #handlers: LineChannelHandlers | null = null;
  readonly #exit = Promise.withResolvers<number>();
  readonly exited = this.#exit.promise;
  #caughtUp = Promise.withResolvers<void>();
  /** `backlog`: characters the server has not read yet; `drained()` lets it catch up. */
  readonly channel = {
    backlog: 0,
    send: (text: string) => {
      const message = JSON.parse(text);
      this.received.push(message);
      if (this.answers && message.method && "id" in message) {
        const answer = { jsonrpc: "2.0", id: message.id, result: resultFor(message.method) };
        queueMicrotask(() => this.#handlers?.line(line(answer)));
      }
    },
    drain: () => this.channel.backlog > 0 ? this.#caughtUp.promise : Promise.resolve(),
    flush: () => {},
  };

  receive(handlers: LineChannelHandlers): Promise<void> {
    this.#handlers = handlers;
    return this.exited.then(() => handlers.end());
  }

  drained(): void {
    this.channel.backlog = 0;
    this.#caughtUp.resolve();
    this.#caughtUp = Promise.withResolvers();
  }

  /** Chunks of the server's own output the proxy has taken. */
  delivered = 0;

  /** The server writes these messages, a chunk each, as fast as the proxy reads them. */
  async write(...messages: unknown[]): Promise<void> {
    for (const message of messages) {
      this.#handlers!.line(line(message));
      this.delivered++;
      await this.#handlers!.chunkEnd?.();
    }
  }

  /** The server exits by itself. */
  exit(code: number): void {
    this.#exit.resolve(code);
  }

  shutdown(): Promise<number> {
    this.receivedAtShutdown = [...this.received];
    this.#exit.resolve(0);
    return this.exited;
  }

  terminate(): Promise<number> {
    this.terminated = true;
    this.#exit.resolve(143);
    return this.exited;
  }

  signal(signal: Deno.Signal): void {
    this.signals.push(signal);
    if (signal === "SIGKILL") this.#exit.resolve(137);
    else if (signal === "SIGTERM" && !this.ignoresSigterm) this.#exit.resolve(143);
  }

  cleanUp(): Promise<void> {
    return Promise.resolve();
  }
}

/** The process's signal listeners as serveStdio registers them; `fire` delivers one. */
export class FakeSignals {
  readonly #listeners = new Map<Deno.Signal, Set<() => void>>();

  add(signal: Deno.Signal, listener: () => void): void {
    if (!this.#listeners.has(signal)) this.#listeners.set(signal, new Set());
    this.#listeners.get(signal)!.add(listener);
  }

  remove(signal: Deno.Signal, listener: () => void): void {
    this.#listeners.get(signal)?.delete(listener);
  }

  fire(signal: Deno.Signal): void {
    for (const listener of this.#listeners.get(signal) ?? []) listener();
  }

  get count(): number {
    return [...this.#listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
}

export interface StartOptions {
  policy: Promise<CompiledPolicy>;
  /** The control socket path the side parts report. */
  controlPath?: string | null;
  reloadPolicy?: () => Promise<CompiledPolicy>;
  maxBytes?: number;
  graceMs?: number;
}

/** Starts a session; `done` is serveStdio's own promise (the server's exit code). */
export function start(options: StartOptions) {
  const input = new ClientInput();
  const output = new ClientOutput();
  const server = new FakeServer();
  const signals = new FakeSignals();
  const logs: string[] = [];
  const record = (level: string) => (message: string) => logs.push(`${level}: ${message}`);
  const log: Logger = {
    debug: () => {},
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    flush: () => Promise.resolve(true),
  };
  const attached = Promise.withResolvers<ProxyRuntime>();
  let stoppedWith: number | null = null;
  const done = serveStdio({
    policy: options.policy,
    reloadPolicy: options.reloadPolicy ?? null,
    watchPath: null,
    upstream: server,
    version: "0.0.0-test",
    maxBytes: options.maxBytes ?? 64 * 1024,
    graceMs: options.graceMs ?? 10_000,
    log,
    attach: (runtime) => {
      attached.resolve(runtime);
      return Promise.resolve({
        controlPath: options.controlPath ?? null,
        stop: (code) => {
          stoppedWith = code;
          return Promise.resolve();
        },
      });
    },
    io: {
      stdin: input.stream,
      stdout: output.stream,
      addSignalListener: (signal, listener) => signals.add(signal, listener),
      removeSignalListener: (signal, listener) => signals.remove(signal, listener),
    },
  });
  return {
    input,
    output,
    server,
    signals,
    logs,
    done,
    runtime: attached.promise,
    stoppedWith: () => stoppedWith,
  };
}

/** A tools/call line of about `bytes` bytes. */
export function callOfSize(id: number, bytes: number): Message {
  const message = call(id, "echo", { text: "" });
  const padding = bytes - line(message).length;
  return call(id, "echo", { text: "x".repeat(padding) });
}

/** Names of what the server received: a call's tool, else the method. */
export function names(messages: Message[]): string[] {
  return messages.map((message) => message.params?.name ?? message.method);
}
