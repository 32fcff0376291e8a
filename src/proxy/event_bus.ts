/**
 * The one place a proxy's call facts go out: every decision and every answer from upstream,
 * to every observer that subscribed (the runtime the control socket follows, the audit log,
 * metrics). A failing observer never stops the others, nor the call.
 */
import type { ApprovalEvent } from "./approvals.ts";
import type { DecisionEvent } from "./events.ts";

export type ProxyEvent =
  | { type: "decision"; event: DecisionEvent }
  | { type: "upstream_answer"; durationMs: number; ok: boolean }
  | { type: "approval"; event: ApprovalEvent };

export type ProxyEventListener = (event: ProxyEvent) => void;

export class EventBus {
  readonly #listeners = new Set<ProxyEventListener>();
  readonly #onError: (error: Error) => void;

  constructor(onError: (error: Error) => void = () => {}) {
    this.#onError = onError;
  }

  subscribe(listener: ProxyEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ProxyEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error as Error);
      }
    }
  }

  /** The callbacks a proxy session takes, bound to this bus. */
  get sinks() {
    return {
      onDecision: (event: DecisionEvent) => this.emit({ type: "decision", event }),
      onUpstreamAnswer: (durationMs: number, ok: boolean) =>
        this.emit({ type: "upstream_answer", durationMs, ok }),
    };
  }
}
