/**
 * The dashboard's store: fed by one control connection per running proxy, it keeps each
 * proxy's status and tool counts, the decision stream and the last command's outcome, and
 * hands the view immutable snapshots, at most one per frame.
 */
import type { ControlEvent } from "../src/control/protocol.ts";
import { fateText } from "./approval_book.ts";
import {
  type DashboardSnapshot,
  type HeldSnapshot,
  type Notice,
  StreamBuffer,
  uniqueLabels,
} from "./dashboard_state.ts";
import { type ConnectionDeps, ProxyConnection } from "./proxy_connection.ts";
import { type Command, type CommandOutcome, CommandTracker } from "./command_tracker.ts";
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
  /** A poll unanswered this long marks the proxy stale; twice `pollMs`. */
  staleMs?: number;
  /** How often to look for new proxies; 2 s. */
  discoverMs?: number;
  /** The shortest time between two snapshots: 100 ms is at most 10 renders a second. */
  frameMs?: number;
  /** How many decisions the stream keeps; 500. */
  streamLimit?: number;
  /** Reconnection backoff: the first wait, doubled up to `max`. */
  retryMs?: { first: number; max: number };
  /** How long a command waits for its answer before saying it may still apply; 3 s. */
  commandTimeoutMs?: number;
  /** How long a notice shows, by level; 6 s, 12 s, 20 s. */
  noticeMs?: Partial<Record<Notice["level"], number>>;
  /** Who is at the keys, sent with live controls (`ann via dashboard`); null sends nothing. */
  operator?: string | null;
}

export type { CommandOutcome } from "./command_tracker.ts";

const NOTICE_MS: Record<Notice["level"], number> = { info: 6_000, warn: 12_000, error: 20_000 };

export class DashboardStore {
  readonly #deps: ConnectionDeps;
  readonly #discoverFn: DiscoverFn;
  readonly #source: WatchSource;
  readonly #pollMs: number;
  readonly #discoverMs: number;
  readonly #frameMs: number;
  readonly #noticeMs: Record<Notice["level"], number>;
  readonly #proxies = new Map<string, ProxyConnection>();
  readonly #stream: StreamBuffer;
  readonly #listeners = new Set<() => void>();
  readonly #commands: CommandTracker;
  readonly #operator: string | null;
  #notice: Notice | null = null;
  #discovered = false;
  #running = false;
  /** A discovery is under way; `#again`: another was asked for meanwhile. */
  #discovering = false;
  #again = false;
  #timers: Record<"discover" | "poll" | "frame" | "notice", TimerId | null> = {
    discover: null,
    poll: null,
    frame: null,
    notice: null,
  };
  #lastFrame = -Infinity;
  #snapshot: DashboardSnapshot;

  constructor(options: DashboardStoreOptions) {
    this.#pollMs = options.pollMs ?? 1000;
    this.#deps = {
      connect: options.connect,
      exists: options.exists ?? socketExists,
      now: options.now ?? Date.now,
      timers: options.timers ?? realTimers,
      retryMs: options.retryMs ?? { first: 250, max: 5000 },
      staleMs: options.staleMs ?? this.#pollMs * 2,
    };
    this.#discoverFn = options.discover;
    this.#source = options.source;
    this.#discoverMs = options.discoverMs ?? 2000;
    this.#frameMs = options.frameMs ?? 100;
    this.#noticeMs = { ...NOTICE_MS, ...options.noticeMs };
    this.#operator = options.operator === undefined ? operator() : options.operator;
    this.#stream = new StreamBuffer(options.streamLimit ?? 500);
    this.#commands = new CommandTracker({
      now: this.#deps.now,
      timers: this.#deps.timers,
      timeoutMs: options.commandTimeoutMs ?? 3_000,
      labelOf: (path) => this.#labels().get(path) ?? path,
      send: (path, method, params) => {
        const proxy = this.#proxies.get(path);
        if (!proxy) return Promise.reject(new Error("not connected"));
        return proxy.request(method, params).then((result) => {
          void proxy.refresh();
          return result;
        }, (error) => {
          if (method === "reload") proxy.policyError = errorText(error);
          throw error;
        });
      },
      report: (level, text) => this.#report(level, text),
      fateOf: (path, id) => {
        const fate = this.#proxies.get(path)?.approvals.fate(id);
        return fate ? fateText(fate) : null;
      },
    });
    this.#snapshot = this.#build();
  }

  /** Looks for proxies now and every `discoverMs`, and polls their status every `pollMs`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#discover();
    this.#schedulePoll();
  }

  /**
   * Looks for proxies now rather than at the next `discoverMs` (a watched folder says that a
   * socket appeared); during a discovery, once more right after it.
   */
  discoverNow(): void {
    if (!this.#running) return;
    if (this.#discovering) {
      this.#again = true;
      return;
    }
    if (this.#timers.discover !== null) this.#deps.timers.clearTimeout(this.#timers.discover);
    void this.#discover();
  }

  /** Closes every connection and cancels every timer. */
  stop(): void {
    this.#running = false;
    for (const id of Object.values(this.#timers)) {
      if (id !== null) this.#deps.timers.clearTimeout(id);
    }
    this.#timers = { discover: null, poll: null, frame: null, notice: null };
    this.#commands.stop();
    for (const proxy of this.#proxies.values()) proxy.close();
    this.#proxies.clear();
  }

  subscribe = (listener: () => void): () => void => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): DashboardSnapshot => this.#snapshot;

  deny(proxy: string, tool: string, reason?: string | null): Promise<CommandOutcome> {
    return this.#run({ paths: [proxy], method: "deny", tool, params: denyParams(tool, reason) });
  }

  allow(proxy: string, tool: string): Promise<CommandOutcome> {
    return this.#run({ paths: [proxy], method: "allow", tool, params: { tool } });
  }

  /**
   * Denies `tool` machine-wide through every connected proxy: kept in the control folder, so
   * that it stops every agent on this machine, proxies started later included.
   */
  denyEverywhere(tool: string, reason?: string | null): Promise<CommandOutcome> {
    const params = { ...denyParams(tool, reason), scope: "machine" };
    return this.#run({ paths: this.#connected(), method: "deny", tool, params });
  }

  /** Allows `tool` again on every connected proxy; one where it was not denied counts as done. */
  allowEverywhere(tool: string): Promise<CommandOutcome> {
    const params = { tool, scope: "machine" };
    return this.#run({ paths: this.#connected(), method: "allow", tool, params });
  }

  reload(proxy: string): Promise<CommandOutcome> {
    return this.#run({ paths: [proxy], method: "reload", tool: null, params: {} });
  }

  /** Forgets the quotas of one tool, or of every tool when `tool` is omitted. */
  reset(proxy: string, tool?: string): Promise<CommandOutcome> {
    const params = tool ? { tool } : {};
    return this.#run({ paths: [proxy], method: "reset", tool: tool ?? null, params });
  }

  /** Lets a held call through, on the proxy that holds it. */
  approve(proxy: string, id: string): Promise<CommandOutcome> {
    const tool = this.#heldTool(proxy, id);
    return this.#run({ paths: [proxy], method: "approve", tool, params: { id }, approval: id });
  }

  /** Denies a held call, with the operator's reason when there is one. */
  reject(proxy: string, id: string, reason?: string | null): Promise<CommandOutcome> {
    const tool = this.#heldTool(proxy, id);
    const trimmed = reason?.trim();
    const params = trimmed ? { id, reason: trimmed } : { id };
    return this.#run({ paths: [proxy], method: "reject", tool, params, approval: id });
  }

  #heldTool(proxy: string, id: string): string {
    const book = this.#proxies.get(proxy)?.approvals;
    const tool = book?.held().find((view) => view.id === id)?.tool ?? book?.fate(id)?.tool;
    return tool ?? `the call ${id}`;
  }

  #run(command: Command): Promise<CommandOutcome> {
    if (command.paths.length === 0) {
      return Promise.resolve(this.#report("error", "No connected proxy"));
    }
    const by = this.#operator;
    return this.#commands.run(by ? { ...command, params: { ...command.params, by } } : command);
  }

  #connected(): string[] {
    return [...this.#proxies.values()].filter((p) => p.state === "connected").map((p) => p.path);
  }

  #report(level: Notice["level"], text: string): CommandOutcome {
    this.#notice = { level, text, at: this.#deps.now() };
    // Redraw when it expires, so it leaves the screen even if nothing else changes.
    if (this.#timers.notice !== null) this.#deps.timers.clearTimeout(this.#timers.notice);
    this.#timers.notice = this.#running
      ? this.#deps.timers.setTimeout(() => {
        this.#timers.notice = null;
        this.#changed();
      }, this.#noticeMs[level] + 1)
      : null;
    this.#changed();
    return { ok: level === "info", text };
  }

  async #discover(): Promise<void> {
    this.#timers.discover = null;
    this.#discovering = true;
    let paths: string[] | null = null;
    const problems: string[] = [];
    try {
      paths = await this.#discoverFn((problem) => problems.push(problem));
    } catch (error) {
      problems.push(`Cannot look for proxies: ${errorText(error)}`);
    }
    this.#discovering = false;
    if (!this.#running) return;
    if (problems.length > 0) this.#report("warn", problems.join("; "));
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
    if (this.#again) {
      this.#again = false;
      return next();
    }
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
    const label = this.#labels().get(proxy.path);
    proxy.close();
    if (this.#proxies.get(proxy.path) !== proxy) return;
    this.#proxies.delete(proxy.path);
    if (proxy.status) this.#report("info", `${label} is gone`);
    this.#changed();
  }

  #schedulePoll(): void {
    this.#timers.poll = this.#deps.timers.setTimeout(() => {
      if (!this.#running) return;
      for (const proxy of this.#proxies.values()) {
        void proxy.refresh();
        void proxy.refreshApprovals();
      }
      this.#schedulePoll();
      // A proxy that stopped answering is shown stale, though nothing else changed.
      const now = this.#deps.now();
      if ([...this.#proxies.values()].some((proxy) => proxy.staleSince(now) !== null)) {
        this.#changed();
      }
    }, this.#pollMs);
  }

  #event(proxy: ProxyConnection, event: ControlEvent): void {
    const base = { proxy: proxy.path, label: this.#labels().get(proxy.path) ?? proxy.path };
    const added = event.method === "decision"
      ? this.#stream.add({ ...base, kind: "decision", notice: event.params })
      : event.method === "policy"
      ? this.#stream.add({ ...base, kind: "policy", notice: event.params })
      : event.method === "approval"
      ? this.#stream.add({ ...base, kind: "approval", notice: event.params })
      : this.#stream.add({ ...base, kind: "control", notice: event.params });
    if (event.method === "control") this.#commands.confirmedBy(proxy.path, event.params);
    if (event.method === "approval") this.#commands.approvalSettled(proxy.path, event.params);
    // A duplicate from a reconnect's backfill changes nothing the connection did not count.
    if (added || event.method === "decision") this.#changed();
  }

  #labels(): Map<string, string> {
    return uniqueLabels([...this.#proxies.values()]);
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
    const now = this.#deps.now();
    const proxies = [...this.#proxies.values()].sort((a, b) => a.path.localeCompare(b.path));
    const labels = uniqueLabels(proxies);
    const notice = this.#notice && now - this.#notice.at <= this.#noticeMs[this.#notice.level]
      ? this.#notice
      : null;
    return {
      now,
      source: this.#source,
      discovered: this.#discovered,
      proxies: proxies.map((proxy) => proxy.snapshot(now, labels.get(proxy.path)!)),
      stream: this.#stream.entries(),
      notice,
      approvals: heldCalls(proxies, labels),
    };
  }
}

/** Every proxy's held calls in one list, soonest to expire first. */
function heldCalls(
  proxies: readonly ProxyConnection[],
  labels: Map<string, string>,
): HeldSnapshot[] {
  const held: HeldSnapshot[] = [];
  for (const proxy of proxies) {
    const label = labels.get(proxy.path)!;
    for (const view of proxy.approvals.held()) held.push({ proxy: proxy.path, label, view });
  }
  return held.sort((a, b) =>
    a.view.expiresAt - b.view.expiresAt || (a.view.id < b.view.id ? -1 : 1)
  );
}

function denyParams(tool: string, reason?: string | null): Record<string, unknown> {
  const trimmed = reason?.trim();
  return trimmed ? { tool, reason: trimmed } : { tool };
}

/** Who runs the dashboard, as shown next to a live deny: `ann via dashboard`. */
function operator(): string | null {
  try {
    const user = Deno.env.get("USER") || Deno.env.get("LOGNAME");
    return `${user || `uid ${Deno.uid() ?? "?"}`} via dashboard`;
  } catch {
    return null;
  }
}
