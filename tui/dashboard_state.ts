/** What the dashboard shows, as immutable snapshots, and the pure steps that build them. */
import type {
  ControlNotice,
  DecisionNotice,
  PolicyNotice,
  QuotaView,
  StatusResult,
  ToolView,
} from "../src/control/protocol.ts";
import type { WatchSource } from "./proxy_link.ts";

/** A quota as last seen, and when, so its time to reset can count down between updates. */
export interface QuotaSnapshot extends QuotaView {
  observedAt: number;
}

export interface ToolSnapshot extends Omit<ToolView, "quotas"> {
  quotas: readonly QuotaSnapshot[];
}

export type LinkState = "connecting" | "connected" | "retrying";

export interface ProxySnapshot {
  path: string;
  link: LinkState;
  status: StatusResult | null;
  tools: readonly ToolSnapshot[];
  /** The last refused reload's errors, while the previous policy stays in force. */
  policyError: string | null;
  /** Why the connection failed or closed, while it is retried. */
  linkError: string | null;
}

interface StreamBase {
  proxy: string;
  pid: number | null;
}
export type StreamEntry =
  | StreamBase & { kind: "decision"; notice: DecisionNotice }
  | StreamBase & { kind: "policy"; notice: PolicyNotice }
  | StreamBase & { kind: "control"; notice: ControlNotice };

export interface Notice {
  level: "info" | "warn" | "error";
  text: string;
  at: number;
}

export interface DashboardSnapshot {
  /** The clock when this snapshot was built. */
  now: number;
  source: WatchSource;
  /** False until the first discovery has finished. */
  discovered: boolean;
  proxies: readonly ProxySnapshot[];
  /** Decisions and policy and operator events of every proxy, oldest first. */
  stream: readonly StreamEntry[];
  /** The outcome of the last command, or a discovery problem. */
  notice: Notice | null;
}

export function toolsFromStatus(status: StatusResult, observedAt: number): ToolSnapshot[] {
  return status.tools.map((tool) => ({
    ...tool,
    quotas: tool.quotas.map((quota) => ({ ...quota, observedAt })),
  }));
}

/** A tool after one more decision: its count, and the quotas the decision reported. */
export function applyDecision(
  tool: ToolSnapshot,
  notice: DecisionNotice,
  observedAt: number,
): ToolSnapshot {
  const quotas = [...tool.quotas];
  for (const quota of notice.quotas) {
    const seen = { ...quota, observedAt };
    const index = quotas.findIndex((q) => q.rule === quota.rule && q.per === quota.per);
    if (index >= 0) quotas[index] = seen;
    else quotas.push(seen);
  }
  return {
    ...tool,
    allowed: tool.allowed + (notice.decision === "allow" ? 1 : 0),
    denied: tool.denied + (notice.decision === "deny" ? 1 : 0),
    quotas,
  };
}

/**
 * The decision stream: bounded, ordered by time, and free of the duplicates a reconnect's
 * backfill would otherwise add.
 */
export class StreamBuffer {
  #entries: StreamEntry[] = [];
  #keys = new Set<string>();

  constructor(readonly limit = 500) {}

  /** Adds an entry; false when it was already there. */
  add(entry: StreamEntry): boolean {
    const key = streamKey(entry);
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    let index = this.#entries.length;
    while (index > 0 && this.#entries[index - 1].notice.ts > entry.notice.ts) index--;
    this.#entries.splice(index, 0, entry);
    while (this.#entries.length > this.limit) {
      this.#keys.delete(streamKey(this.#entries.shift()!));
    }
    return true;
  }

  entries(): readonly StreamEntry[] {
    return [...this.#entries];
  }
}

function streamKey(entry: StreamEntry): string {
  const detail = entry.kind === "decision"
    ? [entry.notice.tool, entry.notice.session, entry.notice.decision, entry.notice.latencyMs]
    : [entry.kind, JSON.stringify(entry.notice)];
  return [entry.proxy, entry.notice.ts, ...detail].join("\u0000");
}

/** How a proxy is named on screen: by pid once known, else by its socket's file name. */
export function proxyLabel(proxy: { path: string; status: StatusResult | null }): string {
  if (proxy.status) return `pid ${proxy.status.pid}`;
  return proxy.path.slice(proxy.path.lastIndexOf("/") + 1);
}
