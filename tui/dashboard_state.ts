/** What the dashboard shows, as immutable snapshots, and the pure steps that build them. */
import type {
  ApprovalNotice,
  ApprovalView,
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
  /** Decisions on this tool in the last minute. */
  perMinute: number;
  /** When one more call will pass, after a denial for a spent quota said so; else null. */
  nextSlotAt: number | null;
}

export type LinkState = "connecting" | "connected" | "retrying";

export interface ProxySnapshot {
  path: string;
  /** What the screen calls it: its name, else `pid N`; unique among the proxies shown. */
  label: string;
  link: LinkState;
  /** Since when a status poll has gone unanswered past its time, while connected; else null. */
  staleSince: number | null;
  status: StatusResult | null;
  tools: readonly ToolSnapshot[];
  /** The last refused reload's errors, while the previous policy stays in force. */
  policyError: string | null;
  /** Why the connection failed or closed, while it is retried. */
  linkError: string | null;
  /** Decisions of every tool in the last minute. */
  perMinute: number;
}

interface StreamBase {
  proxy: string;
  /** The proxy's label when the entry arrived. */
  label: string;
}
export type StreamEntry =
  | StreamBase & { kind: "decision"; notice: DecisionNotice }
  | StreamBase & { kind: "policy"; notice: PolicyNotice }
  | StreamBase & { kind: "control"; notice: ControlNotice }
  | StreamBase & { kind: "approval"; notice: ApprovalNotice };

/** A call held for a human on one proxy, as the approvals pane shows it. */
export interface HeldSnapshot {
  proxy: string;
  label: string;
  view: ApprovalView;
}

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
  /** The outcome of the last command, or a discovery problem, until it expires. */
  notice: Notice | null;
  /** Calls held for a human on every proxy, soonest to expire first; absent: none. */
  approvals?: readonly HeldSnapshot[];
}

export function toolsFromStatus(status: StatusResult, observedAt: number): ToolSnapshot[] {
  return status.tools.map((tool) => ({
    ...tool,
    quotas: tool.quotas.map((quota) => ({ ...quota, observedAt })),
    perMinute: 0,
    nextSlotAt: null,
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
  const allowed = notice.decision === "allow";
  return {
    ...tool,
    allowed: tool.allowed + (allowed ? 1 : 0),
    denied: tool.denied + (allowed ? 0 : 1),
    quotas,
    nextSlotAt: allowed
      ? null
      : notice.retryAfterMs !== null
      ? observedAt + notice.retryAfterMs
      : tool.nextSlotAt,
  };
}

/**
 * The stream: ordered by time, free of the duplicates a reconnect's backfill would add, and
 * bounded: at most `limit` decisions and held calls and, apart, the last `eventLimit` policy
 * and operator events, so a flood of decisions never pushes those out.
 */
export class StreamBuffer {
  #entries: StreamEntry[] = [];
  #keys = new Set<string>();
  #decisions = 0;
  #view: readonly StreamEntry[] | null = null;

  constructor(readonly limit = 500, readonly eventLimit = 50) {}

  /** Adds an entry; false when it was already there. */
  add(entry: StreamEntry): boolean {
    const key = streamKey(entry);
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    let index = this.#entries.length;
    while (index > 0 && this.#entries[index - 1].notice.ts > entry.notice.ts) index--;
    this.#entries.splice(index, 0, entry);
    if (entry.kind === "decision" || entry.kind === "approval") this.#decisions++;
    this.#trim();
    this.#view = null;
    return true;
  }

  /** The entries, oldest first; the same array until the next change. */
  entries(): readonly StreamEntry[] {
    return this.#view ??= Object.freeze([...this.#entries]);
  }

  #trim(): void {
    const events = this.#entries.length - this.#decisions;
    const dropDecisions = this.#decisions - this.limit;
    const dropEvents = events - this.eventLimit;
    if (dropDecisions <= 0 && dropEvents <= 0) return;
    let decisions = Math.max(0, dropDecisions);
    let others = Math.max(0, dropEvents);
    this.#entries = this.#entries.filter((entry) => {
      // Decisions and held calls are the flow of calls; policy and operator events are apart.
      const isDecision = entry.kind === "decision" || entry.kind === "approval";
      if (isDecision && decisions > 0) decisions--;
      else if (!isDecision && others > 0) others--;
      else return true;
      this.#keys.delete(streamKey(entry));
      if (isDecision) this.#decisions--;
      return false;
    });
  }
}

function streamKey(entry: StreamEntry): string {
  const detail = entry.kind === "decision"
    ? [entry.notice.tool, entry.notice.session, entry.notice.decision, entry.notice.latencyMs]
    : entry.kind === "approval"
    ? [entry.kind, entry.notice.approval.id, entry.notice.event]
    : [entry.kind, JSON.stringify(entry.notice)];
  return [entry.proxy, entry.notice.ts, ...detail].join("\u0000");
}

/** How a proxy is named on screen: its name once known, else its pid, else its socket. */
export function proxyLabel(proxy: { path: string; status: StatusResult | null }): string {
  const name = proxy.status?.name?.trim();
  if (name) return name;
  if (proxy.status) return `pid ${proxy.status.pid}`;
  return proxy.path.slice(proxy.path.lastIndexOf("/") + 1);
}

/** Labels for several proxies: a name two proxies share gets each one's pid after it. */
export function uniqueLabels(
  proxies: readonly { path: string; status: StatusResult | null }[],
): Map<string, string> {
  const labels = proxies.map((proxy) => proxyLabel(proxy));
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return new Map(proxies.map((proxy, i) => {
    const label = labels[i];
    const shared = (counts.get(label) ?? 0) > 1 && proxy.status;
    return [proxy.path, shared ? `${label}·${proxy.status!.pid}` : label];
  }));
}
