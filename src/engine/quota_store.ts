/**
 * In-memory quota state: sliding windows for rate limits and sliding counters for `state`
 * blocks, kept per session or globally. A session's state is freed when the session ends.
 */
import type { CounterSpec, Per, QuotaSpec } from "../policy/compiled.ts";
import { SlidingCounter } from "./sliding_counter.ts";
import { SlidingWindow } from "./sliding_window.ts";

interface Scope {
  windows: Map<string, SlidingWindow>;
  counters: Map<string, SlidingCounter>;
}

export class QuotaStore {
  #global: Scope = newScope();
  #sessions = new Map<string, Scope>();

  window(quota: QuotaSpec, session: string): SlidingWindow {
    const scope = this.#scope(quota.per, session);
    let window = scope.windows.get(quota.id);
    if (!window) scope.windows.set(quota.id, window = new SlidingWindow());
    return window;
  }

  counter(counter: CounterSpec, session: string): SlidingCounter {
    const scope = this.#scope(counter.per, session);
    let state = scope.counters.get(counter.storeId);
    if (!state) scope.counters.set(counter.storeId, state = new SlidingCounter(counter.windowMs));
    return state;
  }

  endSession(session: string): void {
    this.#sessions.delete(session);
  }

  /** Forgets the quotas and counters of one tool entry (every one when omitted). */
  reset(entryKey?: string): void {
    const scope = entryKey === "*" ? "_global" : entryKey;
    for (const state of [this.#global, ...this.#sessions.values()]) {
      for (const id of state.windows.keys()) {
        if (entryKey === undefined || quotaEntry(id) === entryKey) state.windows.delete(id);
      }
      for (const id of state.counters.keys()) {
        if (entryKey === undefined || counterScope(id) === scope) state.counters.delete(id);
      }
    }
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  #scope(per: Per, session: string): Scope {
    if (per === "global") return this.#global;
    let scope = this.#sessions.get(session);
    if (!scope) this.#sessions.set(session, scope = newScope());
    return scope;
  }
}

/** Quota ids are `<entry>\0<rule>\0<window>`. */
function quotaEntry(id: string): string {
  return id.slice(0, id.indexOf("\u0000"));
}

/** Counter store ids are `<scope>.<counter>\0<window>`, and a counter name has no dot. */
function counterScope(id: string): string {
  const name = id.slice(0, id.indexOf("\u0000"));
  return name.slice(0, name.lastIndexOf("."));
}

function newScope(): Scope {
  return { windows: new Map(), counters: new Map() };
}
