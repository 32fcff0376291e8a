/** What the control server needs from a running proxy: the contract between the two. */
import type {
  ApprovalView,
  ControlEvent,
  DecisionNotice,
  ReloadResult,
  StatusResult,
} from "./protocol.ts";

export interface ControlTarget {
  status(): StatusResult;
  /** Loads the policy file again; throws `PolicyLoadError` and keeps the old policy if invalid. */
  reload(): Promise<ReloadResult>;
  /** Denies a tool name, a glob or `*` live; `by` says who asked (shown to operators). */
  deny(tool: string, reason: string | null, by?: string | null): void;
  /** Lifts a live deny; false when the tool was not live-denied. */
  allow(tool: string, by?: string | null): boolean;
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
