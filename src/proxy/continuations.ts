/**
 * MRTR continuations (modern era): a `tools/call` the upstream answered with
 * `resultType: "input_required"` is one logical call. Its retry, which carries the client's
 * `inputResponses` and the server's `requestState`, is decided again but takes no quota, once,
 * and only when it matches a continuation the proxy itself relayed: same principal, tool,
 * arguments (by digest), `requestState` and requested keys, within a bounded number of rounds
 * and a bounded lifetime. Any other call carrying those fields is a new call and pays.
 */
import type { ApprovedRule } from "../engine/evaluate.ts";
import { FairQueues } from "./fair_queues.ts";
import { isObject, type JsonObject } from "./jsonrpc.ts";
import { sha256 } from "./sha256.ts";

export interface CallIdentity {
  readonly principal: string;
  readonly tool: string;
  /** SHA-256 of the canonical JSON of the arguments the policy saw. */
  readonly argsDigest: string;
}

export interface ContinuationOptions {
  now?: () => number;
  /** How long a continuation may wait for its retry (default 10 minutes: a human answers). */
  ttlMs?: number;
  /** Rounds of one logical call before a retry pays again (default 10). */
  maxRounds?: number;
  /**
   * Continuations kept at most (default 1,000): past it the oldest of the principal holding the
   * most goes first, so one principal cannot push out another's.
   */
  maxEntries?: number;
  /** Continuations of one principal kept at most; its own oldest goes first (default 100). */
  maxPerPrincipal?: number;
  /** Shortens a long `requestState` for the table's key (default SHA-256, loaded by callers). */
  digest?: (text: string) => string;
}

interface Continuation {
  /** Its key in the table, and whose it is. */
  readonly key: string;
  readonly principal: string;
  readonly requestedKeys: string;
  readonly round: number;
  readonly expiresAt: number;
  /** What a human approved for this logical call: its retries are not held again for it. */
  readonly approvals: readonly ApprovedRule[];
}

/** A retry that continues a call: its round, and what was approved for the call before. */
export interface TakenContinuation {
  readonly round: number;
  readonly approvals: readonly ApprovedRule[];
}

export const CONTINUATION_TTL_MS = 600_000;
export const MAX_ROUNDS = 10;
export const MAX_CONTINUATIONS = 1_000;
export const MAX_CONTINUATIONS_PER_PRINCIPAL = 100;

/** True when a call carries MRTR retry fields, so it claims to continue an earlier call. */
export function isRetry(params: JsonObject): boolean {
  return Object.hasOwn(params, "inputResponses") || Object.hasOwn(params, "requestState");
}

export class Continuations {
  readonly #entries = new Map<string, Continuation[]>();
  /** Every continuation, per principal, oldest first: the bounds evict from there. */
  readonly #kept: FairQueues<Continuation>;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxRounds: number;
  readonly #digest: (text: string) => string;

  constructor(options: ContinuationOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.ttlMs ?? CONTINUATION_TTL_MS;
    this.#maxRounds = options.maxRounds ?? MAX_ROUNDS;
    this.#kept = new FairQueues(
      options.maxPerPrincipal ?? MAX_CONTINUATIONS_PER_PRINCIPAL,
      options.maxEntries ?? MAX_CONTINUATIONS,
    );
    this.#digest = options.digest ?? sha256;
  }

  get size(): number {
    return this.#kept.size;
  }

  /**
   * Records that the upstream asked for input on a call the proxy relayed (`result` is its
   * `input_required` result). `round` is the call's round (1 for the first attempt). Returns
   * false when the call has used up its rounds: its next retry pays.
   */
  remember(
    call: CallIdentity,
    result: JsonObject,
    round: number,
    approvals: readonly ApprovedRule[] = [],
  ): boolean {
    if (round >= this.#maxRounds) return false;
    const state = typeof result.requestState === "string" ? result.requestState : null;
    const key = this.#keyOf(call, state);
    const entry: Continuation = {
      key,
      principal: call.principal,
      requestedKeys: this.#short(sortedKeys(result.inputRequests)),
      round,
      expiresAt: this.#now() + this.#ttlMs,
      approvals: [...approvals],
    };
    const list = this.#entries.get(key);
    if (list) list.push(entry);
    else this.#entries.set(key, [entry]);
    for (const out of this.#kept.add(call.principal, entry)) this.#unlist(out);
    return true;
  }

  /**
   * Takes the continuation `params` (a retry's `tools/call` params) matches, and returns the
   * round the retry is and what was approved for the call; null when nothing matches (the
   * retry is a new call).
   */
  take(call: CallIdentity, params: JsonObject): TakenContinuation | null {
    const state = params.requestState;
    if (state !== undefined && typeof state !== "string") return null;
    const responses = params.inputResponses;
    if (responses !== undefined && !isObject(responses)) return null;
    const key = this.#keyOf(call, state ?? null);
    const list = this.#entries.get(key);
    if (!list) return null;
    const now = this.#now();
    const answered = this.#short(sortedKeys(responses));
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      if (entry.expiresAt <= now) continue;
      if (entry.requestedKeys !== answered) continue;
      this.#remove(key, list, i);
      return { round: entry.round + 1, approvals: entry.approvals };
    }
    this.#dropExpired(key, list, now);
    return null;
  }

  #keyOf(call: CallIdentity, requestState: string | null): string {
    const state = requestState === null ? null : this.#short(requestState);
    return JSON.stringify([call.principal, call.tool, call.argsDigest, state]);
  }

  /** Text the peer chose (a server's state, its keys), kept as its digest when long. */
  #short(text: string): string {
    return text.length > 128 ? `#${this.#digest(text)}` : text;
  }

  #remove(key: string, list: Continuation[], index: number): void {
    const [entry] = list.splice(index, 1);
    this.#kept.remove(entry.principal, entry);
    if (list.length === 0) this.#entries.delete(key);
  }

  /** Takes an entry the bounds put out off its key's list. */
  #unlist(entry: Continuation): void {
    const list = this.#entries.get(entry.key);
    if (!list) return;
    const index = list.indexOf(entry);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.#entries.delete(entry.key);
  }

  #dropExpired(key: string, list: Continuation[], now: number): void {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].expiresAt <= now) this.#remove(key, list, i);
    }
  }
}

/** The keys of an `inputRequests`/`inputResponses` map, sorted, as one comparable string. */
function sortedKeys(value: unknown): string {
  return isObject(value) ? JSON.stringify(Object.keys(value).sort()) : "[]";
}
