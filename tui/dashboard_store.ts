/**
 * The dashboard's store: fed by one control connection per running proxy, it keeps each
 * proxy's status and tool counts, the decision stream and the last command's outcome, and
 * hands the view immutable snapshots, at most one per frame.
 */
import type { ControlEvent } from "../src/control/protocol.ts";
import {
  type DashboardSnapshot,
  type Notice,
  proxyLabel,
  StreamBuffer,
} from "./dashboard_state.ts";
import { type ConnectionDeps, ProxyConnection } from "./proxy_connection.ts";
import {
  type ConnectFn,
  type DiscoverFn,
  errorText,
  realTimers,
  socketExists,
  type TimerId,
  type Timers,
  type WatchSource,
} from "./proxy_link.ts";

export interface DashboardStoreOptions {
  connect: ConnectFn;
  discover: DiscoverFn;
  source: WatchSource;
  exists?: (path: string) => Promise<boolean>;
  now?: () => number;
  timers?: Timers;
  /** How often each proxy's status is fetched again (quotas, reset times); 1 s. */
  pollMs?: number;
  /** How often to look for new proxies; 2 s. */
  discoverMs?: number;
  /** The shortest time between two snapshots: 50 ms is at most 20 renders a second. */
  frameMs?: number;
  /** How many stream entries to keep; 500. */
  streamLimit?: number;
  /** Reconnection backoff: the first wait, doubled up to `max`. */
  retryMs?: { first: number; max: number };
}

/** The outcome of a command, also shown as the store's notice. */
export interface CommandOutcome {
  ok: boolean;
  text: string;
}

type Method = "deny" | "allow" | "reload" | "reset";

export class DashboardStore {
  readonly #deps: ConnectionDeps;
  readonly #discoverFn: DiscoverFn;
  readonly #source: WatchSource;
  readonly #pollMs: number;
  readonly #discoverMs: number;
  readonly #frameMs: number;
  readonly #proxies = new Map<string, ProxyConnection>();
  readonly #stream: StreamBuffer;
  readonly #listeners = new Set<() => void>();
  #notice: Notice | null = null;
  #discovered = false;
  #running = false;
  #timers: { discover: TimerId | null; poll: TimerId | null; frame: TimerId | null } = {
    discover: null,
    poll: null,
    frame: null,
  };
  #lastFrame = -Infinity;
  #snapshot: DashboardSnapshot;

  constructor(options: DashboardStoreOptions) {
    this.#deps = {
      connect: options.connect,
      exists: options.exists ?? socketExists,
      now: options.now ?? Date.now,
      timers: options.timers ?? realTimers,
      retryMs: options.retryMs ?? { first: 250, max: 5000 },
    };
    this.#discoverFn = options.discover;
    this.#source = options.source;
    this.#pollMs = options.pollMs ?? 1000;
    this.#discoverMs = options.discoverMs ?? 2000;
    this.#frameMs = options.frameMs ?? 50;
    this.#stream = new StreamBuffer(options.streamLimit ?? 500);
    this.#snapshot = this.#build();
  }

  /** Looks for proxies now and every `discoverMs`, and polls their status every `pollMs`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#discover();
    this.#schedulePoll();
  }

  /** Closes every connection and cancels every timer. */
  stop(): void {
    this.#running = false;
    for (const id of Object.values(this.#timers)) {
      if (id !== null) this.#deps.timers.clearTimeout(id);
    }
    this.#timers = { discover: null, poll: null, frame: null };
    for (const proxy of this.#proxies.values()) proxy.close();
    this.#proxies.clear();
  }

  subscribe = (listener: () => void): () => void => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): DashboardSnapshot => this.#snapshot;

  deny(proxy: string, tool: string, reason?: string | null): Promise<CommandOutcome> {
    return this.#command([proxy], "deny", denyParams(tool, reason), `Denied ${tool}`);
  }

  allow(proxy: string, tool: string): Promise<CommandOutcome> {
    return this.#command([proxy], "allow", { tool }, `Allowed ${tool}`);
  }

  /** Denies `tool` on every connected proxy: stops it for every agent on this machine. */
  denyEverywhere(tool: string, reason?: string | null): Promise<CommandOutcome> {
    return this.#command(this.#connected(), "deny", denyParams(tool, reason), `Denied ${tool}`);
  }

  allowEverywhere(tool: string): Promise<CommandOutcome> {
    return this.#command(this.#connected(), "allow", { tool }, `Allowed ${tool}`);
  }

  reload(proxy: string): Promise<CommandOutcome> {
    return this.#command([proxy], "reload", {}, "Reloaded the policy");
  }

  /** Forgets the quotas of one tool, or of every tool when `tool` is omitted. */
  reset(proxy: string, tool?: string): Promise<CommandOutcome> {
    const done = tool ? `Reset the quotas of ${tool}` : "Reset every quota";
    return this.#command([proxy], "reset", tool ? { tool } : {}, done);
  }

  #connected(): string[] {
    return [...this.#proxies.values()].filter((p) => p.state === "connected").map((p) => p.path);
  }

  async #command(paths: string[], method: Method, params: Record<string, unknown>, done: string) {
    if (paths.length === 0) return this.#report(false, "No connected proxy", "error");
    const results = await Promise.all(paths.map(async (path) => {
      const proxy = this.#proxies.get(path);
      if (!proxy) return { name: path, error: "not connected" };
      try {
        await proxy.request(method, params);
        void proxy.refresh();
        return { name: proxyLabel(proxy), error: null };
      } catch (error) {
        const text = errorText(error);
        if (method === "reload") proxy.policyError = text;
        return { name: proxyLabel(proxy), error: text };
      }
    }));
    const ok = results.filter((r) => r.error === null).map((r) => r.name);
    const failed = results.filter((r) => r.error !== null);
    const where = paths.length === 1 ? `on ${ok[0]}` : `on ${ok.length} of ${paths.length} proxies`;
    const parts = ok.length > 0 ? [`${done} ${where}`] : [];
    const verb = method === "reload" ? "Reload refused" : `${capitalize(method)} failed`;
    for (const f of failed) parts.push(`${verb} on ${f.name}: ${f.error!.replaceAll("\n", "; ")}`);
    const level = failed.length === 0 ? "info" : ok.length > 0 ? "warn" : "error";
    return this.#report(failed.length === 0, parts.join(". "), level);
  }

  #report(ok: boolean, text: string, level: Notice["level"]): CommandOutcome {
    this.#notice = { level, text, at: this.#deps.now() };
    this.#changed();
    return { ok, text };
  }

  async #discover(): Promise<void> {
    this.#timers.discover = null;
    let paths: string[] | null = null;
    try {
      paths = await this.#discoverFn();
    } catch (error) {
      const text = `Cannot look for proxies: ${errorText(error)}`;
      this.#notice = { level: "error", text, at: this.#deps.now() };
    }
    if (!this.#running) return;
    if (paths) {
      const live = new Set(paths);
      for (const path of paths) if (!this.#proxies.has(path)) this.#add(path);
      // A proxy that is no longer listed and not connected has exited, or left a stale socket.
      for (const proxy of [...this.#proxies.values()]) {
        if (!live.has(proxy.path) && proxy.state !== "connected") this.#drop(proxy);
      }
    }
    this.#discovered = true;
    this.#changed();
    const next = () => void this.#discover();
    this.#timers.discover = this.#deps.timers.setTimeout(next, this.#discoverMs);
  }

  #add(path: string): void {
    const proxy = new ProxyConnection(path, this.#deps, {
      changed: () => this.#changed(),
      event: (from, event) => this.#event(from, event),
      gone: (from) => this.#drop(from),
    });
    this.#proxies.set(path, proxy);
    void proxy.open();
  }

  #drop(proxy: ProxyConnection): void {
    proxy.close();
    if (this.#proxies.get(proxy.path) !== proxy) return;
    this.#proxies.delete(proxy.path);
    if (proxy.status) {
      this.#notice = { level: "info", text: `${proxyLabel(proxy)} is gone`, at: this.#deps.now() };
    }
    this.#changed();
  }

  #schedulePoll(): void {
    this.#timers.poll = this.#deps.timers.setTimeout(() => {
      if (!this.#running) return;
      for (const proxy of this.#proxies.values()) void proxy.refresh();
      this.#schedulePoll();
    }, this.#pollMs);
  }

  #event(proxy: ProxyConnection, event: ControlEvent): void {
    const base = { proxy: proxy.path, pid: proxy.status?.pid ?? null };
    const added = event.method === "decision"
      ? this.#stream.add({ ...base, kind: "decision", notice: event.params })
      : event.method === "policy"
      ? this.#stream.add({ ...base, kind: "policy", notice: event.params })
      : this.#stream.add({ ...base, kind: "control", notice: event.params });
    // A duplicate from a reconnect's backfill changes nothing the connection did not count.
    if (added || event.method === "decision") this.#changed();
  }

  /** Coalesces changes: listeners hear of them at most once per frame. */
  #changed(): void {
    if (this.#timers.frame !== null || !this.#running) return;
    const wait = Math.max(0, this.#lastFrame + this.#frameMs - this.#deps.now());
    this.#timers.frame = this.#deps.timers.setTimeout(() => {
      this.#timers.frame = null;
      this.#lastFrame = this.#deps.now();
      this.#snapshot = this.#build();
      for (const listener of [...this.#listeners]) listener();
    }, wait);
  }

  #build(): DashboardSnapshot {
    return {
      now: this.#deps.now(),
      source: this.#source,
      discovered: this.#discovered,
      proxies: [...this.#proxies.values()]
        .sort((a, b) => a.path.localeCompare(b.path))
        .map((proxy) => proxy.snapshot()),
      stream: this.#stream.entries(),
      notice: this.#notice,
    };
  }
}

function denyParams(tool: string, reason?: string | null): Record<string, unknown> {
  const trimmed = reason?.trim();
  return trimmed ? { tool, reason: trimmed } : { tool };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
