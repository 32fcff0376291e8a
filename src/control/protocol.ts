/**
 * The control protocol between a running proxy and `intercept ctl` / the dashboard:
 * newline-delimited JSON-RPC 2.0 over a Unix socket, one socket per proxy process.
 *
 * Requests: `status`, `subscribe`, `reload`, `deny {tool, reason?, by?, scope?}`,
 * `allow {tool, by?, scope?}`, `reset {tool?, by?}`, `approvals`, `approve {id, by?}`,
 * `reject {id, reason?, by?}`; `scope` is `proxy` (default), `machine` (every proxy of this
 * user on this machine, kept in the control folder) or `fleet` (every proxy on this proxy's
 * shared state store). After `subscribe` the proxy sends `decision` and `policy` notifications
 * (and `control` ones for live denies), starting with a backfill of recent decisions. Fields
 * marked optional were added after the first release: readers must do without them.
 */
import type { Per } from "../policy/compiled.ts";

export const CONTROL_METHODS = [
  "status",
  "subscribe",
  "reload",
  "deny",
  "allow",
  "reset",
  "approvals",
  "approve",
  "reject",
] as const;
export type ControlMethod = typeof CONTROL_METHODS[number];

/** Longest line either side accepts, in bytes. */
export const CONTROL_LINE_LIMIT = 1024 * 1024;

export interface QuotaView {
  rule: string;
  max: number;
  windowMs: number;
  remaining: number;
  resetInMs: number;
  per: Per;
}

/** Where a live deny holds: this proxy, every proxy of the machine, or the fleet on one store. */
export type DenyScope = "proxy" | "machine" | "fleet";
export const DENY_SCOPES: readonly DenyScope[] = ["proxy", "machine", "fleet"];

/** The state store as `ctl status` and the dashboard show it. */
export interface StoreView {
  kind: "memory" | "sqlite" | "redis";
  /** `memory`, `sqlite:PATH`, `redis://HOST:PORT/DB` (never a password). */
  description: string;
  reachable: boolean;
  /** The last answer's time in ms; null before the first. */
  latencyMs: number | null;
  error: string | null;
  /** `--state-fail open`: a failing store lets calls through without quotas. */
  failOpen: boolean;
}

/** How the policy treats a tool right now, before any arguments are seen. */
export type Posture =
  | "allow" // no rule can deny it
  | "limited" // rate limits or counters apply
  | "conditional" // conditions or argument checks apply
  | "deny" // every call is denied (a deny rule without conditions, or default deny)
  | "approval" // calls (all, or those its conditions pick) are held for a human
  | "hidden" // removed by `hide`
  | "live-deny"; // the operator denied it

export interface ToolView {
  name: string;
  posture: Posture;
  /** Decisions since the proxy started. */
  allowed: number;
  denied: number;
  /** The tool's quotas for the proxy's session (per-session ones) and global ones. */
  quotas: QuotaView[];
  /** Set when posture is live-deny. */
  liveDenyReason?: string;
  /** The glob (or `*`) that live-denies the tool, when it is not denied by its own name. */
  liveDenyPattern?: string;
  /** Where the deny in force holds (fleet before machine before proxy). */
  liveDenyScope?: DenyScope;
}

export interface SessionView {
  id: string;
  client: { name: string; version: string } | null;
  startedAt: number;
  /** Who the agent is (the token's principal over HTTP). */
  principal?: string;
}

export interface PolicyView {
  source: string;
  description: string | null;
  defaultPosture: "allow" | "deny";
  loadedAt: number;
  /** The last reload's error, while the previous policy stays in force; null when it loaded. */
  lastError: string | null;
}

export interface StatusResult {
  /** What operators call the proxy: `--name`, else the server's own name; null before both. */
  name?: string | null;
  /** The server's `serverInfo` from `initialize`, once it answered. */
  server?: { name: string; version: string } | null;
  pid: number;
  version: string;
  startedAt: number;
  upstream: { command: string[]; pid: number | null };
  policy: PolicyView;
  state: string;
  /** The state store's health. */
  store?: StoreView;
  sessions: SessionView[];
  /**
   * `tool` is a name, a glob or `*`; `by` says who denied it, when they said; `scope` where it
   * holds (absent: this proxy). One pattern may be denied in several scopes.
   */
  liveDenies: {
    tool: string;
    reason: string;
    at: number;
    by?: string | null;
    scope?: DenyScope;
  }[];
  tools: ToolView[];
  controlPath: string | null;
}

/** `decision` notification params. */
export interface DecisionNotice {
  ts: number;
  session: string;
  client: string | null;
  /** Who the agent is, as far as the transport can tell (`uid:NAME` over stdio). */
  principal?: string | null;
  tool: string;
  decision: "allow" | "deny";
  rule: string;
  reason: string | null;
  latencyMs: number;
  retryAfterMs: number | null;
  quotas: QuotaView[];
  /** MRTR: the round of one logical call, when past its first. */
  round?: number;
}

/** `policy` notification params. */
export interface PolicyNotice {
  ts: number;
  event: "reloaded" | "reload_failed";
  source: string;
  /** Every error of a refused policy, as `file:line:col: message` lines. */
  error: string | null;
  /** The set of tools an agent may see changed (hide, default, live deny). */
  toolsChanged: boolean;
}

/** `control` notification params: what an operator did. */
export interface ControlNotice {
  ts: number;
  event: "deny" | "allow" | "reset";
  tool: string | null;
  reason: string | null;
  /** Who asked, as their tool said (`alice via ctl`); null when it did not say. */
  by?: string | null;
  /** deny and allow: where (absent: this proxy). */
  scope?: DenyScope;
}

/** A call held for a human (`action: require_approval`). */
export interface ApprovalView {
  id: string;
  tool: string;
  /** The arguments as the policy saw them. */
  args: Record<string, unknown>;
  session: string;
  principal: string;
  client: string | null;
  rule: string;
  reason: string | null;
  requestedAt: number;
  expiresAt: number;
  /** Who may answer: `operator`, `user` (through the agent's client). */
  from: ("operator" | "user")[];
  /** The agent's user is being asked too. */
  askingUser: boolean;
}

/** `approval` notification params: a call held, or what became of it. */
export interface ApprovalNotice {
  ts: number;
  /** `released`: the policy changed and no longer holds the call so; it was decided again. */
  event: "requested" | "granted" | "rejected" | "expired" | "withdrawn" | "released";
  approval: ApprovalView;
  /** Who answered (`ann via ctl`, `user via client`); null when nobody did. */
  by: string | null;
  reason: string | null;
}

export type ControlEvent =
  | { method: "decision"; params: DecisionNotice }
  | { method: "policy"; params: PolicyNotice }
  | { method: "control"; params: ControlNotice }
  | { method: "approval"; params: ApprovalNotice };

export interface ReloadResult {
  ok: true;
  source: string;
  toolsChanged: boolean;
}

/** JSON-RPC error code for a refused reload; `data.errors` has the located errors. */
export const RELOAD_FAILED = -32001;
/** JSON-RPC error code for a request the proxy cannot act on (unknown tool for allow, ...). */
export const REQUEST_FAILED = -32002;
/** `data.reason` of the REQUEST_FAILED answer to `approve`/`reject` of an id that waits for nothing. */
export const NOT_WAITING = "not_waiting";
/** `data.reason` of the REQUEST_FAILED answer to `allow` of a tool that is not live-denied. */
export const NOT_DENIED = "not_denied";
