/**
 * The contract every state store keeps (memory, SQLite, Redis): a plan from `evaluate` is
 * taken all or none, in one step no other proxy can come between; a take can be given back; a
 * session's state goes when it ends. Memory and SQLite answer at once; Redis with a promise.
 */
import type { Plan, QuotaTake, TakeFacts } from "../engine/plan.ts";

export interface QuotaView {
  readonly remaining: number;
  readonly resetInMs: number;
}

export interface StateBackend {
  /** `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`, for status. */
  readonly description: string;
  /** Checks the plan's counter conditions and quotas at `now` and takes it all, or nothing. */
  take(plan: Plan, now: number): TakeFacts | Promise<TakeFacts>;
  /** Gives back what a take took (the call could not go up after all). */
  release(plan: Plan, receipt: unknown): void | Promise<void>;
  /** Where quotas stand, without taking any (status views; a remote store: its last word). */
  peek(quotas: readonly QuotaTake[], now: number): QuotaView[];
  /** A session ended: its per-session quotas and counters go. */
  endSession(session: string): void;
  /** Forgets the quotas and counters of one tool entry (every one when omitted). */
  reset(entryKey?: string): void | Promise<void>;
  close(): Promise<void>;
}
