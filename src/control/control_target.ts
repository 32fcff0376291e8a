/** What the control server needs from a running proxy: the contract between the two. */
import type {
  ApprovalView,
  ControlEvent,
  DecisionNotice,
  DenyScope,
  ReloadResult,
  StatusResult,
} from "./protocol.ts";

/** A request the proxy cannot carry out as asked (a fleet deny without a shared store, ...). */
export class RefusedRequest extends Error {
  override name = "RefusedRequest";
}

export interface ControlTarget {
  status(): StatusResult;
  /** Loads the policy file again; throws `PolicyLoadError` and keeps the old policy if invalid. */
  reload(): Promise<ReloadResult>;
  /**
   * Denies a tool name, a glob or `*` live, in `scope` (default this proxy); `by` says who
   * asked (shown to operators). Throws `RefusedRequest` when the scope cannot be served.
   */
  deny(
    tool: string,
    reason: string | null,
    by?: string | null,
    scope?: DenyScope,
  ): void | Promise<void>;
  /** Lifts a live deny in `scope`; false when the tool was not live-denied there. */
  allow(tool: string, by?: string | null, scope?: DenyScope): boolean | Promise<boolean>;
  /** Forgets quotas and counters of one tool's entry, or all when null. */
  reset(tool: string | null, by?: string | null): void;
  /** Decision, policy and control events as they happen; returns the unsubscribe function. */
  subscribe(listener: (event: ControlEvent) => void): () => void;
  /** The most recent decisions, oldest first, for a new subscriber's backfill. */
  recentDecisions(): DecisionNotice[];
  /** Calls held for a human, oldest first. */
  approvals(): ApprovalView[];
  /** Answers a held call; false when `id` waits for nothing (any more) or not for an operator. */
  approve(id: string, by: string): boolean;
  reject(id: string, by: string, reason: string | null): boolean;
}
