/**
 * One proxy as the dashboard sees it: its control connection (status, then subscribe), the
 * counts and quotas that decisions update, and reconnection with backoff while its socket
 * exists. When the socket is gone the proxy has exited and the connection reports it gone.
 */
import type { ApprovalView, ControlEvent, StatusResult } from "../src/control/protocol.ts";
import { ApprovalBook, isView } from "./approval_book.ts";
import {
  applyDecision,
  type LinkState,
  type ProxySnapshot,
  toolsFromStatus,
  type ToolSnapshot,
} from "./dashboard_state.ts";
import {
  type ConnectFn,
  errorText,
  type ProxyLink,
  type TimerId,
  type Timers,
} from "./proxy_link.ts";
import { RateWindow } from "./rate_window.ts";

const METHOD_NOT_FOUND = -32601;

export interface ConnectionDeps {
  connect: ConnectFn;
  exists: (path: string) => Promise<boolean>;
  now: () => number;
  timers: Timers;
  retryMs: { first: number; max: number };
  /** A status poll unanswered this long marks the proxy stale. */
  staleMs: number;
}

export interface ConnectionHooks {
  /** Something shown changed. */
  changed(): void;
  /** A notification arrived (the backfill first). */
  event(connection: ProxyConnection, event: ControlEvent): void;
  /** The socket is gone: the proxy exited. */
  gone(connection: ProxyConnection): void;
}

export class ProxyConnection {
  state: LinkState = "connecting";
  status: StatusResult | null = null;
  tools: ToolSnapshot[] = [];
  policyError: string | null = null;
  linkError: string | null = null;
  /** The calls this proxy holds for a human. */
  readonly approvals = new ApprovalBook();
  #link: ProxyLink | null = null;
  #approvalsBusy = false;
  /** False once the proxy refused `approvals` (a proxy from before approvals). */
  #approvalsKnown = true;
  /** When the status request under way was sent; null when none is. */
  #pollSentAt: number | null = null;
  readonly #rates = new Map<string, RateWindow>();
  readonly #total = new RateWindow();
  /** The newest decision counted in the rates: a reconnect's backfill is not counted twice. */
  #ratedUpTo = -Infinity;
  readonly #nextSlots = new Map<string, number>();
  #unlisten: (() => void)[] = [];
  /** Our clock when the status in hand was asked for: older decisions are already counted. */
  #statusAsOf = -Infinity;
  #statusBusy = false;
  #statusAgain = false;
  #attempts = 0;
  #retryTimer: TimerId | null = null;
  /** Bumped on every (re)connect and on close, so callbacks of an old connection do nothing. */
  #generation = 0;
  #closed = false;

  constructor(
    readonly path: string,
    private readonly deps: ConnectionDeps,
    private readonly hooks: ConnectionHooks,
  ) {}

  async open(): Promise<void> {
    const generation = ++this.#generation;
    const current = () => !this.#closed && this.#generation === generation;
    this.state = "connecting";
    let link: ProxyLink;
    try {
      link = await this.deps.connect(this.path);
    } catch (error) {
      if (current()) void this.#lost(generation, errorText(error));
      return;
    }
    if (!current()) return link.close();
    this.#link = link;
    this.#unlisten = [
      link.onEvent((event) => current() && this.#apply(event)),
      link.onClose(() => void this.#lost(generation, "connection closed")),
    ];
    try {
      const asOf = this.deps.now();
      const status = await link.request<StatusResult>("status");
      if (!current()) return;
      this.#applyStatus(status, asOf);
      await link.request("subscribe");
      if (!current()) return;
      this.state = "connected";
      this.#attempts = 0;
      this.linkError = null;
      this.hooks.changed();
      void this.refreshApprovals();
    } catch (error) {
      void this.#lost(generation, errorText(error));
    }
  }

  /** Sends a request on the live connection; rejects when there is none. */
  request<T = unknown>(
    method: "deny" | "allow" | "reload" | "reset" | "approve" | "reject",
    params: Record<string, unknown>,
  ): Promise<T> {
    if (!this.#link || this.state !== "connected") {
      return Promise.reject(new Error("not connected"));
    }
    return this.#link.request<T>(method, params);
  }

  /** Fetches the status again; a request made while one is under way runs after it. */
  async refresh(): Promise<void> {
    if (this.#statusBusy) {
      this.#statusAgain = true;
      return;
    }
    const link = this.#link;
    const generation = this.#generation;
    if (!link || this.state !== "connected") return;
    this.#statusBusy = true;
    const asOf = this.deps.now();
    this.#pollSentAt = asOf;
    try {
      const status = await link.request<StatusResult>("status");
      if (this.#generation === generation) this.#applyStatus(status, asOf);
    } catch {
      // A failed poll changes nothing; a closed connection is reported by onClose.
    } finally {
      this.#statusBusy = false;
      if (this.#generation === generation && this.#pollSentAt === asOf) {
        const wasStale = this.deps.now() - asOf >= this.deps.staleMs;
        this.#pollSentAt = null;
        if (wasStale) this.hooks.changed();
      }
    }
    if (this.#statusAgain && this.#generation === generation) {
      this.#statusAgain = false;
      void this.refresh();
    }
  }

  /**
   * Asks for the held calls again: after subscribing, so that none held before is missed, and
   * on every poll, so that a missed notification heals. One question at a time.
   */
  async refreshApprovals(): Promise<void> {
    const link = this.#link;
    const generation = this.#generation;
    if (!link || this.state !== "connected" || this.#approvalsBusy || !this.#approvalsKnown) {
      return;
    }
    this.#approvalsBusy = true;
    const askedAt = this.deps.now();
    try {
      const answer = await link.request<{ approvals?: unknown }>("approvals");
      if (this.#generation !== generation) return;
      const list = Array.isArray(answer?.approvals) ? answer.approvals as ApprovalView[] : [];
      if (this.approvals.replace(list, askedAt)) this.hooks.changed();
    } catch (error) {
      // A proxy from before approvals has no such method: it holds nothing.
      if ((error as { code?: unknown })?.code === METHOD_NOT_FOUND) this.#approvalsKnown = false;
    } finally {
      this.#approvalsBusy = false;
    }
  }

  /** Closes the connection for good: no retry, no more hooks. */
  close(): void {
    this.#closed = true;
    this.#generation++;
    if (this.#retryTimer !== null) this.deps.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#unlink();
  }

  /** Since when the proxy has left a status poll unanswered past `staleMs`; else null. */
  staleSince(now: number): number | null {
    const sent = this.#pollSentAt;
    return this.state === "connected" && sent !== null && now - sent >= this.deps.staleMs
      ? sent
      : null;
  }

  snapshot(now: number, label: string): ProxySnapshot {
    return {
      path: this.path,
      label,
      link: this.state,
      staleSince: this.staleSince(now),
      status: this.status,
      tools: this.tools.map((tool) => ({
        ...tool,
        perMinute: this.#rates.get(tool.name)?.count(now) ?? 0,
        nextSlotAt: this.#nextSlots.get(tool.name) ?? null,
      })),
      policyError: this.policyError,
      linkError: this.linkError,
      perMinute: this.#total.count(now),
    };
  }

  /** A connection failed or closed: retry while the socket is there, else report it gone. */
  async #lost(generation: number, why: string): Promise<void> {
    if (this.#generation !== generation || this.#closed) return;
    const mine = ++this.#generation;
    this.#unlink();
    this.#pollSentAt = null;
    this.state = "retrying";
    this.linkError = why;
    this.hooks.changed();
    if (!(await this.deps.exists(this.path))) {
      if (this.#generation === mine) this.hooks.gone(this);
      return;
    }
    if (this.#generation !== mine) return;
    const delay = Math.min(this.deps.retryMs.max, this.deps.retryMs.first * 2 ** this.#attempts++);
    this.#retryTimer = this.deps.timers.setTimeout(async () => {
      this.#retryTimer = null;
      if (this.#generation !== mine) return;
      if (!(await this.deps.exists(this.path))) {
        if (this.#generation === mine) this.hooks.gone(this);
      } else if (this.#generation === mine) void this.open();
    }, delay);
  }

  #unlink(): void {
    for (const off of this.#unlisten) off();
    this.#unlisten = [];
    const link = this.#link;
    this.#link = null;
    link?.close();
  }

  #rate(notice: { ts: number; tool: string }): void {
    if (notice.ts <= this.#ratedUpTo) return;
    this.#ratedUpTo = notice.ts;
    const now = this.deps.now();
    let window = this.#rates.get(notice.tool);
    if (!window) {
      // The agent picks tool names; only tools the proxy lists get their own rate.
      if (!this.tools.some((tool) => tool.name === notice.tool)) {
        this.#total.record(notice.ts, now);
        return;
      }
      this.#rates.set(notice.tool, window = new RateWindow());
    }
    window.record(notice.ts, now);
    this.#total.record(notice.ts, now);
  }

  #applyStatus(status: StatusResult, asOf: number): void {
    this.status = status;
    this.#statusAsOf = asOf;
    this.tools = toolsFromStatus(status, this.deps.now());
    this.policyError = status.policy.lastError;
    this.hooks.changed();
  }

  #apply(event: ControlEvent): void {
    switch (event.method) {
      case "decision": {
        const notice = event.params;
        this.#rate(notice);
        // The status in hand already counts decisions made before it was asked for.
        if (notice.ts <= this.#statusAsOf) break;
        const index = this.tools.findIndex((tool) => tool.name === notice.tool);
        if (index < 0) break;
        const tool = applyDecision(this.tools[index], notice, this.deps.now());
        if (tool.nextSlotAt === null) this.#nextSlots.delete(tool.name);
        else this.#nextSlots.set(tool.name, tool.nextSlotAt);
        this.tools = this.tools.with(index, tool);
        break;
      }
      case "policy":
        if (event.params.ts <= this.#statusAsOf) break;
        if (event.params.event === "reload_failed") this.policyError = event.params.error;
        else {
          this.policyError = null;
          void this.refresh();
        }
        break;
      case "control":
        if (event.params.ts > this.#statusAsOf) void this.refresh();
        break;
      case "approval":
        // The stream and the pane read these fields: a notice without them is dropped.
        if (!isView(event.params?.approval)) return;
        this.approvals.apply(event.params, this.deps.now());
        break;
      default:
        return;
    }
    this.hooks.event(this, event);
  }
}
