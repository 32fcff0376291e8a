/**
 * One proxy as the dashboard sees it: its control connection (status, then subscribe), the
 * counts and quotas that decisions update, and reconnection with backoff while its socket
 * exists. When the socket is gone the proxy has exited and the connection reports it gone.
 */
import type { ControlEvent, StatusResult } from "../src/control/protocol.ts";
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

export interface ConnectionDeps {
  connect: ConnectFn;
  exists: (path: string) => Promise<boolean>;
  now: () => number;
  timers: Timers;
  retryMs: { first: number; max: number };
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
  #link: ProxyLink | null = null;
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
    } catch (error) {
      void this.#lost(generation, errorText(error));
    }
  }

  /** Sends a request on the live connection; rejects when there is none. */
  request<T = unknown>(
    method: "deny" | "allow" | "reload" | "reset",
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
    try {
      const asOf = this.deps.now();
      const status = await link.request<StatusResult>("status");
      if (this.#generation === generation) this.#applyStatus(status, asOf);
    } catch {
      // A failed poll changes nothing; a closed connection is reported by onClose.
    } finally {
      this.#statusBusy = false;
    }
    if (this.#statusAgain && this.#generation === generation) {
      this.#statusAgain = false;
      void this.refresh();
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

  snapshot(): ProxySnapshot {
    return {
      path: this.path,
      link: this.state,
      status: this.status,
      tools: this.tools,
      policyError: this.policyError,
      linkError: this.linkError,
    };
  }

  /** A connection failed or closed: retry while the socket is there, else report it gone. */
  async #lost(generation: number, why: string): Promise<void> {
    if (this.#generation !== generation || this.#closed) return;
    const mine = ++this.#generation;
    this.#unlink();
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
        // The status in hand already counts decisions made before it was asked for.
        if (notice.ts <= this.#statusAsOf) break;
        const index = this.tools.findIndex((tool) => tool.name === notice.tool);
        if (index < 0) break;
        const tool = applyDecision(this.tools[index], notice, this.deps.now());
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
      default:
        return;
    }
    this.hooks.event(this, event);
  }
}
