/**
 * The contract every state store keeps (memory, SQLite, Redis): a plan from `evaluate` is
 * taken all or none, in one step no other proxy can come between; a take can be given back; a
 * session's state goes when it ends. Memory and SQLite answer at once; Redis with a promise.
 */
import type { Plan, QuotaTake, TakeFacts } from "../engine/plan.ts";
import type { FleetDenyStore } from "./fleet_denies.ts";

export interface QuotaView {
  readonly remaining: number;
  readonly resetInMs: number;
}

/** How a store is doing, for `ctl status` and the dashboard. */
export interface StoreHealth {
  /** `memory`, `sqlite` or `redis`. */
  readonly kind: "memory" | "sqlite" | "redis";
  /** The store answered its last request (memory: always). */
  readonly reachable: boolean;
  /** How long its last answer took, in ms; null before the first. */
  readonly latencyMs: number | null;
  /** Its last error while unreachable, else null. */
  readonly error: string | null;
}

export interface StateBackend {
  /** `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB` (no password), for status. */
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
  /** Live denies shared by every proxy on the store (`ctl --fleet deny`); none in memory. */
  readonly fleet?: FleetDenyStore;
  /** How the store is doing (default: reachable, as memory always is). */
  health?(): StoreHealth;
}
