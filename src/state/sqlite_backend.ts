/**
 * Quotas and counters in a SQLite file (`--state sqlite:PATH`), shared by every process on the
 * machine that opens it: one write transaction per take (BEGIN IMMEDIATE … COMMIT), so
 * `per: global` and `per: principal` quotas hold exactly across processes, and survive a
 * restart. The same semantics as memory: an exact log of admitted calls per quota (a row each,
 * gone once out of its window), counters in sub-window sums. A take answers at once; when
 * another process holds the lock it answers with a promise, retrying without blocking.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Plan, QuotaTake, Scope, TakeFacts } from "../engine/plan.ts";
import type { CounterSpec, QuotaSpec } from "../policy/compiled.ts";
import { counterEntry, quotaEntry } from "./memory_backend.ts";
import { COUNTER_RING, counterSlot, counterSlotEnd, sumOfSlots } from "./sliding_counter.ts";
import { openStateFile } from "./sqlite_file.ts";
import { SqliteFleetDenies } from "./sqlite_fleet_denies.ts";
import { isBusy, retryWhileBusy, transaction } from "./sqlite_transaction.ts";
import type { QuotaView, StateBackend, StoreHealth } from "./state_backend.ts";

export interface SqliteBackendOptions {
  /** How long a take may wait for another process's lock in all (default 250 ms). */
  timeoutMs?: number;
  /** How long one statement blocks on a lock before the take yields and retries (10 ms). */
  busyTimeoutMs?: number;
  /** Expired rows are deleted at most this often (default 10 s). */
  sweepEveryMs?: number;
}

interface Receipt {
  readonly hits: readonly (number | bigint)[];
  readonly slots: readonly number[];
}

/** Rows deleted per sweep, so that one sweep never holds the lock long. */
const SWEEP_ROWS = 5_000;

export class SqliteBackend implements StateBackend {
  readonly description: string;
  readonly fleet: SqliteFleetDenies;
  readonly #db: DatabaseSync;
  readonly #timeoutMs: number;
  readonly #sweepEveryMs: number;
  readonly #sql: ReturnType<typeof statements>;
  readonly #keys = new WeakMap<QuotaSpec | CounterSpec, string>();
  #nextSweep = 0;
  #latencyMs: number | null = null;
  #error: string | null = null;

  constructor(readonly path: string, options: SqliteBackendOptions = {}) {
    this.description = `sqlite:${path}`;
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#sweepEveryMs = options.sweepEveryMs ?? 10_000;
    this.#db = openStateFile(path, { busyTimeoutMs: options.busyTimeoutMs ?? 10 });
    this.#sql = statements(this.#db);
    this.fleet = new SqliteFleetDenies(this.#db, this.#timeoutMs);
  }

  take(plan: Plan, now: number): TakeFacts | Promise<TakeFacts> {
    const attempt = () => this.#measured(() => transaction(this.#db, () => this.#take(plan, now)));
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw this.#failed(error);
      return retryWhileBusy(attempt, this.#timeoutMs).catch((late) => {
        throw this.#failed(late);
      });
    }
  }

  release(plan: Plan, receipt: unknown): void | Promise<void> {
    const { hits, slots } = receipt as Receipt;
    const attempt = () =>
      transaction(this.#db, () => {
        for (const rowid of hits) this.#sql.removeHit.run(rowid);
        plan.adds.forEach(({ counter, scope, amount }, i) => {
          this.#sql.takeBack.run(amount, scope, this.#key(counter), slots[i]);
        });
      });
    try {
      attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      return retryWhileBusy(attempt, this.#timeoutMs * 4);
    }
  }

  peek(quotas: readonly QuotaTake[], now: number): QuotaView[] {
    return quotas.map(({ spec, scope }) => this.#view(spec, scope, now));
  }

  endSession(session: string): void {
    const scope = `s:${session}`;
    const attempt = () =>
      transaction(this.#db, () => {
        this.#sql.endHits.run(scope);
        this.#sql.endCounters.run(scope);
      });
    try {
      attempt();
    } catch (error) {
      // Left to expire when the file stays locked: rows never outlive their window.
      if (isBusy(error)) retryWhileBusy(attempt, 5_000).catch(() => {});
      else throw error;
    }
  }

  reset(entryKey?: string): void | Promise<void> {
    const attempt = () =>
      transaction(this.#db, () => {
        if (entryKey === undefined) {
          this.#db.exec("DELETE FROM hits; DELETE FROM counters");
          return;
        }
        this.#sql.resetHits.run(entryKey);
        this.#sql.resetCounters.run(entryKey === "*" ? "_global" : entryKey);
      });
    try {
      attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      return retryWhileBusy(attempt, 5_000);
    }
  }

  health(): StoreHealth {
    return {
      kind: "sqlite",
      reachable: this.#error === null,
      latencyMs: this.#latencyMs,
      error: this.#error,
    };
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }

  /** Everything of one take, inside its transaction. */
  #take(plan: Plan, now: number): TakeFacts {
    for (let step = 0; step < plan.steps.length; step++) {
      const { kind, checks } = plan.steps[step];
      let holdsAll = true;
      for (let check = 0; check < checks.length; check++) {
        const { counter, scope, condition, pending } = checks[check];
        if (condition.test(this.#sum(counter, scope, now) + pending)) continue;
        if (kind === "require") return this.#facts(plan, now, { step, check }, [], false);
        holdsAll = false;
        break;
      }
      if (kind === "denyIf" && holdsAll) {
        return this.#facts(plan, now, { step, check: 0 }, [], false);
      }
    }
    if (plan.end || plan.free) return this.#facts(plan, now, null, [], false);
    const exhausted: { quota: number; retryAfterMs: number }[] = [];
    plan.quotas.forEach(({ spec, scope }, quota) => {
      const retryAfterMs = this.#retryInMs(spec, scope, now);
      if (retryAfterMs > 0) exhausted.push({ quota, retryAfterMs });
    });
    if (exhausted.length > 0) return this.#facts(plan, now, null, exhausted, false);
    const hits = plan.quotas.map(({ spec, scope }) =>
      this.#sql.addHit.run(scope, this.#key(spec), quotaEntry(spec.id), now, now + spec.windowMs)
        .lastInsertRowid
    );
    const slots = plan.adds.map(({ counter, scope, amount }) => {
      const slot = counterSlot(now, counter.windowMs);
      const entry = counterEntry(counter.storeId);
      const expires = counterSlotEnd(slot, counter.windowMs);
      this.#sql.addToSlot.run(scope, this.#key(counter), entry, slot, amount, expires);
      return slot;
    });
    if (now >= this.#nextSweep) this.#sweep(now);
    const receipt: Receipt = { hits, slots };
    return { ...this.#facts(plan, now, null, [], true), receipt };
  }

  #facts(
    plan: Plan,
    now: number,
    denied: TakeFacts["denied"],
    exhausted: TakeFacts["exhausted"],
    taken: boolean,
  ): TakeFacts {
    return { denied, exhausted, statuses: this.peek(plan.quotas, now), taken, at: now };
  }

  #view(spec: QuotaSpec, scope: Scope, now: number): QuotaView {
    const row = this.#sql.countHits.get(scope, this.#key(spec), now - spec.windowMs)!;
    const count = Number(row.n);
    return {
      remaining: Math.max(0, spec.max - count),
      resetInMs: count === 0 ? 0 : Math.max(0, Number(row.oldest) + spec.windowMs - now),
    };
  }

  #retryInMs(spec: QuotaSpec, scope: Scope, now: number): number {
    const key = this.#key(spec);
    const since = now - spec.windowMs;
    const count = Number(this.#sql.countHits.get(scope, key, since)!.n);
    if (count < spec.max) return 0;
    // The call that must leave the window before one more fits.
    const row = this.#sql.nthHit.get(scope, key, since, count - spec.max)!;
    return Math.max(1, Number(row.at) + spec.windowMs - now);
  }

  #sum(counter: CounterSpec, scope: Scope, now: number): number {
    const current = counterSlot(now, counter.windowMs);
    const rows = this.#sql.slots.all(scope, this.#key(counter), current - COUNTER_RING);
    return sumOfSlots(
      rows.map((row) => ({ slot: Number(row.slot), sum: Number(row.sum) })),
      current,
    );
  }

  #sweep(now: number): void {
    this.#nextSweep = now + this.#sweepEveryMs;
    this.#sql.sweepHits.run(now, SWEEP_ROWS);
    this.#sql.sweepCounters.run(now, SWEEP_ROWS);
  }

  /** Quota and counter ids hold NUL characters: stored as JSON text, which cannot collide. */
  #key(spec: QuotaSpec | CounterSpec): string {
    let key = this.#keys.get(spec);
    if (key === undefined) {
      key = JSON.stringify("storeId" in spec ? spec.storeId : spec.id);
      this.#keys.set(spec, key);
    }
    return key;
  }

  #measured<T>(work: () => T): T {
    const started = performance.now();
    const result = work();
    this.#latencyMs = performance.now() - started;
    this.#error = null;
    return result;
  }

  #failed(error: unknown): Error {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#error = failure.message;
    return failure;
  }
}

function statements(db: DatabaseSync) {
  const sql = (text: string): StatementSync => db.prepare(text);
  return {
    countHits: sql(
      "SELECT count(*) AS n, min(at) AS oldest FROM hits WHERE scope = ? AND quota = ? AND at > ?",
    ),
    nthHit: sql(
      "SELECT at FROM hits WHERE scope = ? AND quota = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
    ),
    addHit: sql("INSERT INTO hits (scope, quota, entry, at, expires) VALUES (?, ?, ?, ?, ?)"),
    removeHit: sql("DELETE FROM hits WHERE rowid = ?"),
    slots: sql("SELECT slot, sum FROM counters WHERE scope = ? AND counter = ? AND slot > ?"),
    addToSlot: sql(
      "INSERT INTO counters (scope, counter, entry, slot, sum, expires) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (scope, counter, slot) DO UPDATE SET sum = sum + excluded.sum",
    ),
    takeBack: sql(
      "UPDATE counters SET sum = sum - ? WHERE scope = ? AND counter = ? AND slot = ?",
    ),
    endHits: sql("DELETE FROM hits WHERE scope = ?"),
    endCounters: sql("DELETE FROM counters WHERE scope = ?"),
    resetHits: sql("DELETE FROM hits WHERE entry = ?"),
    resetCounters: sql("DELETE FROM counters WHERE entry = ?"),
    sweepHits: sql(
      "DELETE FROM hits WHERE rowid IN (SELECT rowid FROM hits WHERE expires <= ? LIMIT ?)",
    ),
    sweepCounters: sql(
      "DELETE FROM counters WHERE rowid IN (SELECT rowid FROM counters WHERE expires <= ? LIMIT ?)",
    ),
  };
}
