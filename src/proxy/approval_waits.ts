/**
 * The approval questions the proxy put to modern clients (an `input_required` result), each
 * waiting for the retry that carries the user's answer under its `requestState` token. Kept
 * for the whole proxy, not per request: over HTTP the retry is a request of its own. A retry
 * takes its wait only when it comes from the same principal, for the same tool and arguments,
 * and only once: two retries racing with one token cannot both run the call.
 */
import type { ApprovalOutcome } from "./approvals.ts";
import { FairQueues } from "./fair_queues.ts";

export interface ApprovalWait {
  readonly approvalId: string;
  readonly principal: string;
  readonly tool: string;
  /** SHA-256 of the canonical JSON of the arguments the policy saw. */
  readonly digest: string;
  /** The rule that holds the call, and the denial's words should it come to that. */
  readonly rule: string;
  readonly reason: string;
  readonly timeoutMs: number;
  /** How the approval ended: an operator, the clock, or the user's answer through the retry. */
  readonly outcome: Promise<ApprovalOutcome>;
}

/**
 * Waits answered (by an operator or the clock) before their retry came, kept at most: past it
 * the oldest of the principal holding the most go first, so one cannot push out another's.
 */
export const MAX_ANSWERED_WAITS = 1_000;
/** Answered waits of one principal kept at most; its own oldest go first. */
export const MAX_ANSWERED_WAITS_PER_PRINCIPAL = 100;
/** How long an answered wait is kept for its retry. */
export const ANSWERED_WAIT_KEPT_MS = 600_000;

export class ApprovalWaits {
  readonly #waits = new Map<string, ApprovalWait>();
  /** Tokens of answered waits, oldest answer first, with when each is forgotten. */
  readonly #answered = new Map<string, number>();
  /** The same tokens per principal: the count bounds evict from there. */
  readonly #answeredOf = new FairQueues<string>(
    MAX_ANSWERED_WAITS_PER_PRINCIPAL,
    MAX_ANSWERED_WAITS,
  );
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Waits kept (a pending approval's, or one answered and not retried yet). */
  get size(): number {
    return this.#waits.size;
  }

  /**
   * Keeps `wait` under `token` until its retry takes it. A wait whose approval is still pending
   * is kept as long as it is (the approval list bounds those); once answered, for
   * `ANSWERED_WAIT_KEPT_MS`, within `MAX_ANSWERED_WAITS_PER_PRINCIPAL` and `MAX_ANSWERED_WAITS`.
   */
  add(token: string, wait: ApprovalWait): void {
    this.#forgetOld();
    this.#waits.set(token, wait);
    wait.outcome.then(() => {
      if (this.#waits.get(token) !== wait) return;
      this.#answered.set(token, this.#now() + ANSWERED_WAIT_KEPT_MS);
      for (const out of this.#answeredOf.add(wait.principal, token)) {
        this.#answered.delete(out);
        this.#waits.delete(out);
      }
      this.#forgetOld();
    });
  }

  /**
   * The wait `token` names when the retry matches it and its approval is still open (no answer
   * yet); left in place. Null otherwise.
   */
  pending(
    token: string,
    retry: { principal: string; tool: string; digest: string },
  ): ApprovalWait | null {
    this.#forgetOld();
    if (this.#answered.has(token)) return null;
    const wait = this.#waits.get(token);
    return wait && matches(wait, retry) ? wait : null;
  }

  /**
   * The wait `token` names, taken (it answers no other retry), when the retry matches it; null
   * when it does not (the wait stays for its own retry) or nothing waits under the token.
   */
  take(
    token: string,
    retry: { principal: string; tool: string; digest: string },
  ): ApprovalWait | null {
    this.#forgetOld();
    const wait = this.#waits.get(token);
    if (!wait || !matches(wait, retry)) return null;
    this.#forget(token);
    return wait;
  }

  #forgetOld(): void {
    const now = this.#now();
    for (const [token, forgetAt] of this.#answered) {
      if (forgetAt > now) break;
      this.#forget(token);
    }
  }

  #forget(token: string): void {
    const wait = this.#waits.get(token);
    if (wait && this.#answered.delete(token)) this.#answeredOf.remove(wait.principal, token);
    this.#waits.delete(token);
  }
}

function matches(
  wait: ApprovalWait,
  retry: { principal: string; tool: string; digest: string },
): boolean {
  return wait.principal === retry.principal && wait.tool === retry.tool &&
    wait.digest === retry.digest;
}
