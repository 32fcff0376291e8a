/** Shared pieces of the control tests: a fake proxy, a raw socket client, temp folders. */
import type { ControlTarget } from "../../src/control/control_target.ts";
import type {
  ApprovalView,
  ControlEvent,
  DecisionNotice,
  ReloadResult,
  StatusResult,
} from "../../src/control/protocol.ts";
import { LineSplitter } from "../../src/transports/line_splitter.ts";

export type Json = Record<string, unknown>;

export function decision(n: number, tool = "produce-message"): DecisionNotice {
  return {
    ts: 1_700_000_000_000 + n,
    session: "s-1",
    client: "claude-code",
    tool,
    decision: n % 3 === 0 ? "deny" : "allow",
    rule: `tools.${tool}`,
    reason: n % 3 === 0 ? "Rate limit of 5 per minute reached" : null,
    latencyMs: 0.2,
    retryAfterMs: null,
    quotas: [{
      rule: `tools.${tool}`,
      max: 5,
      windowMs: 60_000,
      remaining: 3,
      resetInMs: 1000,
      per: "session",
    }],
  };
}

export function fakeStatus(pid = 4242): StatusResult {
  return {
    pid,
    version: "0.1.0",
    startedAt: 1_700_000_000_000,
    upstream: { command: ["npx", "server"], pid: 99 },
    policy: {
      source: "/etc/kafka.yaml",
      description: null,
      defaultPosture: "allow",
      loadedAt: 1_700_000_000_000,
      lastError: null,
    },
    state: "memory",
    sessions: [],
    liveDenies: [],
    tools: [],
    controlPath: null,
  };
}

/** A `ControlTarget` that records every call and emits events on demand. */
export class FakeTarget implements ControlTarget {
  readonly calls: unknown[][] = [];
  readonly liveDenies = new Set<string>();
  recent: DecisionNotice[] = [];
  statusResult: StatusResult = fakeStatus();
  reloadWith: () => Promise<ReloadResult> = () =>
    Promise.resolve({ ok: true, source: "/etc/kafka.yaml", toolsChanged: false });
  readonly #listeners = new Set<(event: ControlEvent) => void>();

  get listenerCount(): number {
    return this.#listeners.size;
  }

  status(): StatusResult {
    this.calls.push(["status"]);
    return this.statusResult;
  }

  reload(): Promise<ReloadResult> {
    this.calls.push(["reload"]);
    return this.reloadWith();
  }

  /** Who asked is recorded only when given. */
  deny(tool: string, reason: string | null, by?: string | null): void {
    this.calls.push(by ? ["deny", tool, reason, by] : ["deny", tool, reason]);
    this.liveDenies.add(tool);
  }

  allow(tool: string, by?: string | null): boolean {
    this.calls.push(by ? ["allow", tool, by] : ["allow", tool]);
    return this.liveDenies.delete(tool);
  }

  reset(tool: string | null, by?: string | null): void {
    this.calls.push(by ? ["reset", tool, by] : ["reset", tool]);
  }

  /** Held calls, by id: `approve`/`reject` answer them. */
  held: ApprovalView[] = [];

  approvals(): ApprovalView[] {
    this.calls.push(["approvals"]);
    return [...this.held];
  }

  approve(id: string, by: string): boolean {
    this.calls.push(["approve", id, by]);
    return this.#settle(id);
  }

  reject(id: string, by: string, reason: string | null): boolean {
    this.calls.push(["reject", id, by, reason]);
    return this.#settle(id);
  }

  #settle(id: string): boolean {
    const before = this.held.length;
    this.held = this.held.filter((approval) => approval.id !== id);
    return this.held.length < before;
  }

  /** The calls other than status (which ctl makes before each command). */
  get actions(): unknown[][] {
    return this.calls.filter(([method]) => method !== "status");
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  recentDecisions(): DecisionNotice[] {
    return [...this.recent];
  }

  emit(event: ControlEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

/** A temp folder for one test, holding `intercept/` as the control folder. */
export async function tempRoot(): Promise<
  { root: string; dir: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const root = await Deno.makeTempDir({ prefix: "intercept-ctl-" });
  return {
    root,
    dir: `${root}/intercept`,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** Newline-delimited JSON over a raw Unix socket, reading only when asked to. */
export class RawClient {
  readonly #conn: Deno.UnixConn;
  readonly #lines: string[] = [];
  #waiter: (() => void) | null = null;
  #reading: Promise<void> | null = null;
  #ended = false;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  static async connect(path: string): Promise<RawClient> {
    return new RawClient(await Deno.connect({ transport: "unix", path }));
  }

  async send(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n");
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  async request(message: Json): Promise<Json> {
    await this.send(JSON.stringify({ jsonrpc: "2.0", ...message }));
    return await this.next();
  }

  /** The next message, parsed; starts reading on first use. */
  async next(timeoutMs = 10_000): Promise<Json> {
    this.#reading ??= this.#read();
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error("The server closed the connection");
      if (Date.now() > deadline) throw new Error(`No message within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
      clearTimeout(timer);
    }
    return JSON.parse(this.#lines.shift()!) as Json;
  }

  /** Whether the server has closed its side (after reading stopped). */
  get ended(): boolean {
    return this.#ended;
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    await this.#reading;
  }

  async #read(): Promise<void> {
    const splitter = new LineSplitter(64 * 1024 * 1024, {
      line: (text) => this.#lines.push(text),
      oversize: () => {},
    });
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        splitter.push(buffer.subarray(0, n));
        this.#wake();
      }
    } catch {
      // Closed.
    }
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }
}

/** Leaves a socket file nobody listens on: a process binds it and is killed. */
export async function makeStaleSocket(path: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); console.log("ready");` +
      " setInterval(() => {}, 1000);",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
