/**
 * The calls one proxy holds for a human, as the dashboard knows them: kept from the proxy's
 * `approval` notifications and healed by its `approvals` answer (a dashboard started after a
 * call was held shows it, a missed notification is made good), plus what became of the calls
 * recently settled, so an answer that comes too late can say why.
 */
import type { ApprovalNotice, ApprovalView } from "../src/control/protocol.ts";

export type Fate = Exclude<ApprovalNotice["event"], "requested">;

export interface Settled {
  event: Fate;
  tool: string;
  by: string | null;
  reason: string | null;
  ts: number;
}

/** Held calls kept per proxy, at most (the proxy holds at most 1000). */
export const MAX_HELD = 1_000;
/** Settled calls remembered per proxy, for late answers. */
const MAX_SETTLED = 200;

interface Held {
  view: ApprovalView;
  /** When the dashboard learned of it (its clock). */
  seenAt: number;
}

export class ApprovalBook {
  readonly #held = new Map<string, Held>();
  readonly #settled = new Map<string, Settled>();
  #view: readonly ApprovalView[] | null = null;

  /** A notification; true when the held calls changed. */
  apply(notice: ApprovalNotice, seenAt: number): boolean {
    const view = notice?.approval;
    if (!isView(view)) return false;
    if (notice.event === "requested") {
      if (this.#settled.has(view.id) || this.#held.has(view.id)) return false;
      if (this.#held.size >= MAX_HELD) return false;
      this.#held.set(view.id, { view, seenAt });
      this.#view = null;
      return true;
    }
    this.#settled.delete(view.id);
    this.#settled.set(view.id, {
      event: notice.event,
      tool: view.tool,
      by: notice.by,
      reason: notice.reason,
      ts: notice.ts,
    });
    if (this.#settled.size > MAX_SETTLED) this.#settled.delete(this.#settled.keys().next().value!);
    if (!this.#held.delete(view.id)) return false;
    this.#view = null;
    return true;
  }

  /**
   * The proxy's whole list, asked for at `askedAt`: it replaces what is held, except calls
   * already heard settled and calls heard held since the question (the answer may predate
   * them). True when the held calls changed.
   */
  replace(list: readonly ApprovalView[], askedAt: number): boolean {
    const next = new Map<string, Held>();
    for (const view of list.slice(0, MAX_HELD)) {
      if (!isView(view) || this.#settled.has(view.id)) continue;
      next.set(view.id, this.#held.get(view.id) ?? { view, seenAt: askedAt });
    }
    for (const [id, held] of this.#held) {
      if (!next.has(id) && held.seenAt >= askedAt && next.size < MAX_HELD) next.set(id, held);
    }
    const same = next.size === this.#held.size &&
      [...next.keys()].every((id) => this.#held.has(id));
    if (same) return false;
    this.#held.clear();
    for (const [id, held] of next) this.#held.set(id, held);
    this.#view = null;
    return true;
  }

  /** The held calls, soonest to expire first; the same array until they change. */
  held(): readonly ApprovalView[] {
    return this.#view ??= Object.freeze(
      [...this.#held.values()].map((held) => held.view).sort((a, b) =>
        a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      ),
    );
  }

  /** What became of a call that waits no more, when this dashboard heard it; else null. */
  fate(id: string): Settled | null {
    return this.#settled.get(id) ?? null;
  }
}

/** A notification's approval in the shape the dashboard reads; else it is ignored. */
export function isView(view: unknown): view is ApprovalView {
  if (typeof view !== "object" || view === null) return false;
  const v = view as Record<string, unknown>;
  return typeof v.id === "string" && typeof v.tool === "string" &&
    Number.isFinite(v.expiresAt) && Number.isFinite(v.requestedAt) &&
    typeof v.args === "object" && v.args !== null && Array.isArray(v.from);
}

/** A settled call in words: `expired`, `approved by ann via ctl`, `rejected by bob: too big`. */
export function fateText(settled: Settled): string {
  const by = settled.by ? ` by ${settled.by}` : "";
  switch (settled.event) {
    case "granted":
      return `approved${by}`;
    case "rejected":
      return `rejected${by}${settled.reason ? `: ${settled.reason}` : ""}`;
    case "expired":
      return "expired: nobody answered in time";
    case "withdrawn":
      return "withdrawn: the agent cancelled it or left";
    case "released":
      return "released: the policy changed, the call was decided again";
  }
}
