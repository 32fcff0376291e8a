/**
 * The state of one proxy process, in memory (`--state memory`, the default): exact sliding
 * windows for rate limits and sliding counters for `state` blocks, per session, principal or
 * globally. A take is synchronous and allocates no promise. A session's state is freed when the
 * session ends.
 */
import type { Plan, QuotaTake, Scope, TakeFacts } from "../engine/plan.ts";
import type { CounterSpec, QuotaSpec } from "../policy/compiled.ts";
import { SlidingCounter } from "./sliding_counter.ts";
import { SlidingWindow } from "./sliding_window.ts";
import type { QuotaView, StateBackend } from "./state_backend.ts";

interface ScopeState {
  windows: Map<string, SlidingWindow>;
  counters: Map<string, SlidingCounter>;
}

/** What a take took, to give it back. */
interface Receipt {
  readonly at: number;
}

const NOTHING_DENIED = null;

export class MemoryBackend implements StateBackend {
  readonly description = "memory";
  readonly #scopes = new Map<Scope, ScopeState>();

  take(plan: Plan, now: number): TakeFacts {
    for (let step = 0; step < plan.steps.length; step++) {
      const { kind, checks } = plan.steps[step];
      let holdsAll = true;
      for (let check = 0; check < checks.length; check++) {
        const { counter, scope, condition, pending } = checks[check];
        const value = this.#counter(counter, scope).sum(now) + pending;
        if (condition.test(value)) continue;
        if (kind === "require") return this.#facts(plan, now, { step, check }, [], false);
        holdsAll = false;
        break;
      }
      if (kind === "denyIf" && holdsAll) {
        return this.#facts(plan, now, { step, check: 0 }, [], false);
      }
    }
    if (plan.end || plan.free) return this.#facts(plan, now, NOTHING_DENIED, [], false);
    // Each quota's window is looked up once for the check, the take and the statuses.
    const { quotas } = plan;
    const windows: SlidingWindow[] = [];
    let exhausted: { quota: number; retryAfterMs: number }[] | null = null;
    for (let i = 0; i < quotas.length; i++) {
      const { spec, scope } = quotas[i];
      const window = this.#window(spec, scope);
      windows.push(window);
      const retryAfterMs = window.retryInMs(now, spec.windowMs, spec.max);
      if (retryAfterMs > 0) (exhausted ??= []).push({ quota: i, retryAfterMs });
    }
    if (exhausted) {
      const statuses = views(quotas, windows, now);
      return { denied: NOTHING_DENIED, exhausted, statuses, taken: false };
    }
    for (let i = 0; i < windows.length; i++) windows[i].add(now);
    for (const { counter, scope, amount } of plan.adds) {
      this.#counter(counter, scope).add(now, amount);
    }
    const receipt: Receipt = { at: now };
    const statuses = views(quotas, windows, now);
    return { denied: NOTHING_DENIED, exhausted: [], statuses, taken: true, receipt };
  }

  release(plan: Plan, receipt: unknown): void {
    const { at } = receipt as Receipt;
    for (const { spec, scope } of plan.quotas) this.#window(spec, scope).remove(at);
    for (const { counter, scope, amount } of plan.adds) {
      this.#counter(counter, scope).remove(at, amount);
    }
  }

  peek(quotas: readonly QuotaTake[], now: number): QuotaView[] {
    return views(quotas, quotas.map(({ spec, scope }) => this.#window(spec, scope)), now);
  }

  endSession(session: string): void {
    this.#scopes.delete(`s:${session}`);
  }

  reset(entryKey?: string): void {
    const counterScope = entryKey === "*" ? "_global" : entryKey;
    for (const state of this.#scopes.values()) {
      for (const id of state.windows.keys()) {
        if (entryKey === undefined || quotaEntry(id) === entryKey) state.windows.delete(id);
      }
      for (const id of state.counters.keys()) {
        if (entryKey === undefined || counterEntry(id) === counterScope) state.counters.delete(id);
      }
    }
  }

  /** Sessions with state kept (bounded by the sessions a proxy serves). */
  get sessionCount(): number {
    let count = 0;
    for (const scope of this.#scopes.keys()) if (scope.startsWith("s:")) count++;
    return count;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #facts(
    plan: Plan,
    now: number,
    denied: TakeFacts["denied"],
    exhausted: TakeFacts["exhausted"],
    taken: boolean,
  ): TakeFacts {
    return { denied, exhausted, statuses: this.peek(plan.quotas, now), taken };
  }

  #window(spec: QuotaSpec, scope: Scope): SlidingWindow {
    const state = this.#scope(scope);
    let window = state.windows.get(spec.id);
    if (!window) state.windows.set(spec.id, window = new SlidingWindow());
    return window;
  }

  #counter(counter: CounterSpec, scope: Scope): SlidingCounter {
    const state = this.#scope(scope);
    let sums = state.counters.get(counter.storeId);
    if (!sums) state.counters.set(counter.storeId, sums = new SlidingCounter(counter.windowMs));
    return sums;
  }

  #scope(scope: Scope): ScopeState {
    let state = this.#scopes.get(scope);
    if (!state) this.#scopes.set(scope, state = { windows: new Map(), counters: new Map() });
    return state;
  }
}

/** What each quota looks like at `now`, from its window (`windows[i]` is `quotas[i]`'s). */
function views(
  quotas: readonly QuotaTake[],
  windows: readonly SlidingWindow[],
  now: number,
): QuotaView[] {
  const out: QuotaView[] = [];
  for (let i = 0; i < quotas.length; i++) {
    const { spec } = quotas[i];
    const window = windows[i];
    out.push({
      remaining: Math.max(0, spec.max - window.count(now, spec.windowMs)),
      resetInMs: window.resetInMs(now, spec.windowMs),
    });
  }
  return out;
}

/** Quota ids are `<entry>\0<rule>\0<window>`. */
export function quotaEntry(id: string): string {
  return id.slice(0, id.indexOf("\u0000"));
}

/** Counter store ids are `<entry>.<counter>\0<window>`, and a counter name has no dot. */
export function counterEntry(id: string): string {
  const name = id.slice(0, id.indexOf("\u0000"));
  return name.slice(0, name.lastIndexOf("."));
}
