/**
 * Requests forwarded upstream and not answered yet, and the client batches they belong to.
 * A batch is answered as one array once its last request is answered.
 */
import type { JsonRpcId } from "./jsonrpc.ts";

export interface Batch {
  readonly answers: unknown[];
  /** Requests still unanswered, plus one while the batch is being read. */
  open: number;
}

export interface Pending {
  readonly id: JsonRpcId;
  /** What the answer needs on its way back: tools/list is filtered, initialize amended. */
  readonly kind: "list" | "initialize" | "other";
  readonly batch: Batch | null;
}

export function newBatch(): Batch {
  return { answers: [], open: 1 };
}

export class PendingRequests {
  /** Keyed by the id itself: a Map keeps `1` and `"1"` apart. */
  readonly #byId = new Map<JsonRpcId, Pending>();

  constructor(readonly sendToClient: (message: unknown) => void) {}

  get size(): number {
    return this.#byId.size;
  }

  has(id: JsonRpcId): boolean {
    return this.#byId.has(id);
  }

  /** Records a forwarded request; false when its id is already in flight. */
  add(pending: Pending): boolean {
    if (this.#byId.has(pending.id)) return false;
    this.#byId.set(pending.id, pending);
    if (pending.batch) pending.batch.open++;
    return true;
  }

  take(id: JsonRpcId): Pending | undefined {
    const pending = this.#byId.get(id);
    if (pending) this.#byId.delete(id);
    return pending;
  }

  /** Every request still waiting, removed from the set. */
  takeAll(): Pending[] {
    const all = [...this.#byId.values()];
    this.#byId.clear();
    return all;
  }

  /** An answer the proxy gives itself: sent now, or held for its batch. */
  answer(batch: Batch | null, answer: unknown): void {
    if (batch) batch.answers.push(answer);
    else this.sendToClient(answer);
  }

  /** The answer to a forwarded request (taken from the set). */
  answerPending(pending: Pending, answer: unknown): void {
    this.answer(pending.batch, answer);
    if (pending.batch) this.settle(pending.batch);
  }

  /** One less thing open in the batch; sends it once nothing is. */
  settle(batch: Batch): void {
    batch.open--;
    if (batch.open === 0 && batch.answers.length > 0) this.sendToClient(batch.answers);
  }
}
