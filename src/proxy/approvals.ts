/**
 * Calls held for a human (`action: require_approval`), across every session of one proxy: what
 * operators list, approve and reject (dashboard, `ctl`), and what the agent's own user answers
 * through the client. The first answer wins; the rule's timeout rejects; a cancelled request or
 * an ended session withdraws. Every step is reported, with who decided.
 */

import { ApprovalWaits } from "./approval_waits.ts";

export type ApprovalSource = "operator" | "user";

export interface PendingApproval {
  readonly id: string;
  readonly tool: string;
  /** The arguments as the policy saw them. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly session: string;
  readonly principal: string;
  readonly client: string | null;
  readonly rule: string;
  readonly reason: string | null;
  readonly requestedAt: number;
  readonly expiresAt: number;
  /** Who may answer. */
  readonly from: readonly ApprovalSource[];
  /** The user is being asked through the client (an elicitation is out). */
  readonly askingUser: boolean;
}

export type ApprovalOutcome =
  | { readonly kind: "granted"; readonly by: string; readonly source: ApprovalSource }
  | { readonly kind: "rejected"; readonly by: string; readonly reason: string | null }
  | { readonly kind: "expired" }
  | { readonly kind: "withdrawn" }
  /** The policy changed and no longer holds the call under its rule: it is decided again. */
  | { readonly kind: "released" };

export type ApprovalEvent =
  | { readonly type: "approval_requested"; readonly approval: PendingApproval }
  | {
    readonly type:
      | "approval_granted"
      | "approval_rejected"
      | "approval_expired"
      | "approval_withdrawn"
      | "approval_released";
    readonly approval: PendingApproval;
    readonly by: string | null;
    readonly reason: string | null;
  };

export interface ApprovalsOptions {
  now?: () => number;
  onEvent?: (event: ApprovalEvent) => void;
  /** Calls held at once, at most: past it a call needing approval is denied. */
  maxPending?: number;
  /** Calls of one principal held at once, at most: one agent cannot fill the list for all. */
  maxPerPrincipal?: number;
  /** Bytes of arguments (their JSON) held at once, at most, in all and of one principal. */
  maxBytes?: number;
  maxBytesPerPrincipal?: number;
}

/** What a caller says of a call it holds, besides what operators see. */
export interface HoldOptions {
  /** Whether what decides calls now still holds this one (checked by `reconsider`). */
  stillHeld?: () => boolean;
  /** The size of its arguments (their JSON): counted against the byte bounds while it waits. */
  bytes?: number;
}

export const MAX_PENDING_APPROVALS = 1_000;
export const MAX_PENDING_PER_PRINCIPAL = 100;
/**
 * A held call keeps its arguments until it is answered (a modern one even after its request
 * was): without a byte bound, 100 held calls of 16 MiB each would pin 1.6 GiB per principal.
 */
export const MAX_PENDING_BYTES = 256 * 1024 * 1024;
export const MAX_PENDING_BYTES_PER_PRINCIPAL = 64 * 1024 * 1024;

interface Entry {
  approval: PendingApproval;
  resolve: (outcome: ApprovalOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Whether what decides calls now still holds this one (checked by `reconsider`). */
  stillHeld: (() => boolean) | null;
  bytes: number;
}

export class Approvals {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #onEvent: (event: ApprovalEvent) => void;
  readonly #maxPending: number;
  readonly #maxPerPrincipal: number;
  /** Calls held per principal. */
  readonly #perPrincipal = new Map<string, number>();
  readonly #maxBytes: number;
  readonly #maxBytesPerPrincipal: number;
  /** Bytes of arguments held, in all and per principal. */
  #bytes = 0;
  readonly #bytesOf = new Map<string, number>();
  /** The questions put to modern clients, waiting for their retries (any session's). */
  readonly waits: ApprovalWaits;

  constructor(options: ApprovalsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.waits = new ApprovalWaits(this.#now);
    this.#onEvent = options.onEvent ?? (() => {});
    this.#maxPending = options.maxPending ?? MAX_PENDING_APPROVALS;
    this.#maxPerPrincipal = options.maxPerPrincipal ?? MAX_PENDING_PER_PRINCIPAL;
    this.#maxBytes = options.maxBytes ?? MAX_PENDING_BYTES;
    this.#maxBytesPerPrincipal = options.maxBytesPerPrincipal ?? MAX_PENDING_BYTES_PER_PRINCIPAL;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Holds a call for `timeoutMs`; resolves with the first answer. When too many calls are held
   * already, or too many bytes of arguments, in all or of the call's principal, `refused` says
   * so (the caller denies this one).
   */
  open(
    details: Omit<PendingApproval, "id" | "requestedAt" | "expiresAt">,
    timeoutMs: number,
    options: HoldOptions = {},
  ): { id: string; outcome: Promise<ApprovalOutcome> } | { refused: string } {
    if (this.#entries.size >= this.#maxPending) {
      return { refused: `too many calls are waiting for approval (${this.#maxPending})` };
    }
    const held = this.#perPrincipal.get(details.principal) ?? 0;
    if (held >= this.#maxPerPrincipal) {
      return {
        refused: `too many calls of ${details.principal} are waiting for approval ` +
          `(${this.#maxPerPrincipal})`,
      };
    }
    const bytes = options.bytes ?? 0;
    const bytesOf = this.#bytesOf.get(details.principal) ?? 0;
    if (this.#bytes + bytes > this.#maxBytes) {
      return {
        refused: `too many bytes of arguments are waiting for approval (${this.#maxBytes})`,
      };
    }
    if (bytesOf + bytes > this.#maxBytesPerPrincipal) {
      return {
        refused: `too many bytes of arguments of ${details.principal} are waiting for approval ` +
          `(${this.#maxBytesPerPrincipal})`,
      };
    }
    this.#perPrincipal.set(details.principal, held + 1);
    this.#bytes += bytes;
    this.#bytesOf.set(details.principal, bytesOf + bytes);
    const id = newId();
    const requestedAt = this.#now();
    const approval: PendingApproval = {
      ...details,
      id,
      requestedAt,
      expiresAt: requestedAt + timeoutMs,
    };
    let resolve!: (outcome: ApprovalOutcome) => void;
    const outcome = new Promise<ApprovalOutcome>((done) => resolve = done);
    const timer = setTimeout(() => this.#settle(id, { kind: "expired" }), timeoutMs);
    this.#entries.set(id, {
      approval,
      resolve,
      timer,
      stillHeld: options.stillHeld ?? null,
      bytes,
    });
    this.#onEvent({ type: "approval_requested", approval });
    return { id, outcome };
  }

  /** The calls waiting, oldest first. */
  list(): PendingApproval[] {
    return [...this.#entries.values()].map((entry) => entry.approval);
  }

  get(id: string): PendingApproval | undefined {
    return this.#entries.get(id)?.approval;
  }

  /** An answer from `source` (`by` names who); false when the id waits for nothing (any more). */
  approve(id: string, by: string, source: ApprovalSource = "operator"): boolean {
    if (!this.#accepts(id, source)) return false;
    return this.#settle(id, { kind: "granted", by, source });
  }

  reject(
    id: string,
    by: string,
    reason: string | null,
    source: ApprovalSource = "operator",
  ): boolean {
    if (!this.#accepts(id, source)) return false;
    return this.#settle(id, { kind: "rejected", by, reason: reason?.trim() || null });
  }

  /** The request was cancelled or its session ended: the call goes from the list, unanswered. */
  withdraw(id: string): void {
    this.#settle(id, { kind: "withdrawn" });
  }

  /**
   * What decides calls changed (a policy reload, a live deny): every held call is checked
   * against it, and one it no longer holds under the same rule for the same approvers leaves
   * the list, `released`: its owner decides it again (allowed and forwarded, denied with the
   * new reason, or held anew under another rule). The others keep waiting, deadline unchanged.
   * Returns how many were released.
   */
  reconsider(): number {
    let released = 0;
    for (const [id, entry] of [...this.#entries]) {
      let held: boolean;
      try {
        held = entry.stillHeld?.() ?? true;
      } catch {
        held = false; // Decided again, the call meets the same failure and is denied.
      }
      if (!held && this.#settle(id, { kind: "released" })) released++;
    }
    return released;
  }

  #accepts(id: string, source: ApprovalSource): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.approval.from.includes(source);
  }

  #settle(id: string, outcome: ApprovalOutcome): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    const principal = entry.approval.principal;
    const held = this.#perPrincipal.get(principal)! - 1;
    if (held > 0) this.#perPrincipal.set(principal, held);
    else this.#perPrincipal.delete(principal);
    this.#bytes -= entry.bytes;
    const bytesLeft = this.#bytesOf.get(principal)! - entry.bytes;
    if (bytesLeft > 0) this.#bytesOf.set(principal, bytesLeft);
    else this.#bytesOf.delete(principal);
    clearTimeout(entry.timer);
    const by = outcome.kind === "granted" || outcome.kind === "rejected" ? outcome.by : null;
    const reason = outcome.kind === "rejected" ? outcome.reason : null;
    this.#onEvent({ type: `approval_${outcome.kind}`, approval: entry.approval, by, reason });
    entry.resolve(outcome);
    return true;
  }
}

/** Short enough to type (`intercept ctl approve 3f9a1c2e`), random enough not to guess. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
