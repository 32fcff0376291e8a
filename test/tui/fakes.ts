/** Test doubles for the dashboard: a fake clock with timers, fake proxies and their links. */
import type {
  ApprovalNotice,
  ApprovalView,
  ControlEvent,
  ControlMethod,
  DecisionNotice,
  QuotaView,
  StatusResult,
  ToolView,
} from "../../src/control/protocol.ts";
import { DashboardStore, type DashboardStoreOptions } from "../../tui/dashboard_store.ts";
import type { ProxyLink, TimerId, Timers } from "../../tui/proxy_link.ts";

/** Lets every pending promise callback run (one macrotask drains the microtask queue). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** A clock whose timers run only when the test moves time forward. */
export class FakeClock implements Timers {
  time = 1_700_000_000_000;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 1;

  now = (): number => this.time;

  setTimeout(callback: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers.delete(id as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running each timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | null = null;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

export function tool(name: string, overrides: Partial<ToolView> = {}): ToolView {
  return { name, posture: "allow", allowed: 0, denied: 0, quotas: [], ...overrides };
}

export function quota(overrides: Partial<QuotaView> = {}): QuotaView {
  return {
    rule: "produce-limit",
    max: 30,
    windowMs: 60_000,
    remaining: 30,
    resetInMs: 60_000,
    per: "session",
    ...overrides,
  };
}

export function makeStatus(pid: number, tools: ToolView[], path: string): StatusResult {
  return {
    pid,
    version: "0.1.0",
    startedAt: 1_700_000_000_000,
    upstream: { command: ["npx", "-y", "@confluentinc/mcp-confluent"], pid: pid + 1 },
    policy: {
      source: "kafka.yaml",
      description: "Confluent Kafka",
      defaultPosture: "deny",
      loadedAt: 1_700_000_000_000,
      lastError: null,
    },
    state: "memory",
    sessions: [{ id: "s1", client: { name: "claude-code", version: "1.0" }, startedAt: 0 }],
    liveDenies: [],
    tools,
    controlPath: path,
  };
}

export function decisionNotice(
  toolName: string,
  ts: number,
  overrides: Partial<DecisionNotice> = {},
): DecisionNotice {
  return {
    ts,
    session: "s1",
    client: "claude-code",
    tool: toolName,
    decision: "allow",
    rule: "allow-reads",
    reason: null,
    latencyMs: 1,
    retryAfterMs: null,
    quotas: [],
    ...overrides,
  };
}

export function decision(
  toolName: string,
  ts: number,
  overrides: Partial<DecisionNotice> = {},
): ControlEvent {
  return { method: "decision", params: decisionNotice(toolName, ts, overrides) };
}

type Handler = (params: Record<string, unknown>) => unknown;

/** One connection to a fake proxy: records requests, answers them, emits notifications. */
export class FakeLink implements ProxyLink {
  readonly requests: { method: ControlMethod; params: Record<string, unknown> }[] = [];
  closed = false;
  #events = new Set<(event: ControlEvent) => void>();
  #closes = new Set<() => void>();

  constructor(readonly path: string, readonly proxy: FakeProxy) {}

  request<T = unknown>(method: ControlMethod, params: Record<string, unknown> = {}): Promise<T> {
    this.requests.push({ method, params });
    if (this.closed) return Promise.reject(new Error(`Connection to ${this.path} is closed`));
    try {
      const handler = this.proxy.handlers[method];
      const result = handler ? handler(params) : method === "status" ? this.proxy.status : {};
      if (method === "subscribe") {
        queueMicrotask(() => this.proxy.backfill.forEach((e) => this.emit(e)));
      }
      return Promise.resolve(result as T);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.#events.add(listener);
    return () => this.#events.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.#closes.add(listener);
    return () => this.#closes.delete(listener);
  }

  emit(event: ControlEvent): void {
    if (!this.closed) { for (const listener of [...this.#events]) listener(event); }
  }

  /** The client closes it; like a real socket, close listeners still hear of it. */
  close(): void {
    this.#hangUp();
  }

  /** The proxy end hangs up. */
  hangUp(): void {
    this.#hangUp();
  }

  #hangUp(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.#closes]) listener();
  }
}

export class FakeProxy {
  listening = true;
  socketExists = true;
  links: FakeLink[] = [];
  handlers: Partial<Record<ControlMethod, Handler>> = {};
  backfill: ControlEvent[] = [];
  status: StatusResult;

  constructor(readonly path: string, pid: number, tools: ToolView[]) {
    this.status = makeStatus(pid, tools, path);
  }

  get link(): FakeLink {
    const link = this.links.at(-1);
    if (!link) throw new Error(`Nothing connected to ${this.path}`);
    return link;
  }

  /** Every request of every connection, as `method` or `method {params}`. */
  calls(method?: ControlMethod): Record<string, unknown>[] {
    return this.links.flatMap((link) => link.requests)
      .filter((request) => !method || request.method === method)
      .map((request) => request.params);
  }

  /** The proxy exits: the connection closes and the socket is removed. */
  exit(): void {
    this.listening = false;
    this.socketExists = false;
    this.links.at(-1)?.hangUp();
  }
}

/** A folder of fake proxies: `connect`, `discover` and `exists` for the store. */
export class FakeNetwork {
  readonly proxies = new Map<string, FakeProxy>();
  connects: string[] = [];
  discoverError: Error | null = null;

  add(pid: number, tools: ToolView[]): FakeProxy {
    const path = `/run/intercept/${pid}.sock`;
    const proxy = new FakeProxy(path, pid, tools);
    this.proxies.set(path, proxy);
    return proxy;
  }

  connect = (path: string): Promise<ProxyLink> => {
    this.connects.push(path);
    const proxy = this.proxies.get(path);
    if (!proxy?.listening) {
      return Promise.reject(new Error(`Cannot connect to ${path}: connection refused`));
    }
    const link = new FakeLink(path, proxy);
    proxy.links.push(link);
    return Promise.resolve(link);
  };

  problems: string[] = [];

  discover = (onProblem: (problem: string) => void = () => {}): Promise<string[]> => {
    if (this.discoverError) return Promise.reject(this.discoverError);
    for (const problem of this.problems) onProblem(problem);
    return Promise.resolve(
      [...this.proxies.values()].filter((p) => p.listening).map((p) => p.path),
    );
  };

  exists = (path: string): Promise<boolean> =>
    Promise.resolve(this.proxies.get(path)?.socketExists ?? false);
}

/** A store over a fake network and a fake clock; counts the renders it asks for. */
export function storeSetup(options: Partial<DashboardStoreOptions> = {}) {
  const clock = new FakeClock();
  const net = new FakeNetwork();
  const store = new DashboardStore({
    connect: net.connect,
    discover: net.discover,
    exists: net.exists,
    source: { kind: "dirs", locations: ["/run/intercept"] },
    now: clock.now,
    timers: clock,
    operator: null,
    ...options,
  });
  let renders = 0;
  store.subscribe(() => renders++);
  return { clock, net, store, renders: () => renders };
}

/** A call held for a human, as a proxy lists it. */
export function heldView(id: string, overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id,
    tool: "create-connector",
    args: { connectorName: "orders-s3-sink" },
    session: "s1",
    principal: "uid:ann",
    client: "claude-code",
    rule: "connectors need a human",
    reason: "New connectors are approved by a human",
    requestedAt: 1_700_000_000_000,
    expiresAt: 1_700_000_020_000,
    from: ["operator"],
    askingUser: false,
    ...overrides,
  };
}

/** An `approval` notification: a call held, or what became of it. */
export function approvalEvent(
  event: ApprovalNotice["event"],
  view: ApprovalView,
  overrides: Partial<ApprovalNotice> = {},
): ControlEvent {
  return {
    method: "approval",
    params: { ts: view.requestedAt, event, approval: view, by: null, reason: null, ...overrides },
  };
}
