/**
 * The client's requests that the proxy has taken on and not answered yet: being decided,
 * waiting (for the policy, a schema, an approval) or forwarded. Each id is reserved from the
 * moment its request arrives until its one answer is sent or the client cancels it, so an id
 * is never answered twice and a cancelled id is free again at once. Batches are answered as
 * one array, within the size limit.
 */
import type { Era } from "./era.ts";
import { ErrorCode, errorResponse, type JsonObject, type JsonRpcId } from "./jsonrpc.ts";

export interface Batch {
  /** Where the batch came from: its answer goes back there. */
  readonly origin: unknown;
  /** Serialised answers, in the order they came. */
  readonly parts: string[];
  bytes: number;
  /** Requests still unanswered, plus one while the batch is being read. */
  open: number;
}

export interface ClientRequest {
  readonly id: JsonRpcId;
  readonly batch: Batch | null;
  readonly era: Era;
  /** Where the request came from (an HTTP exchange; undefined on stdio). */
  readonly origin: unknown;
  /** The id the upstream knows it by, once forwarded. */
  upstreamId: number | null;
  /** Answered or withdrawn: nothing more may be sent for it. */
  done: boolean;
  /** Called once when it is answered or withdrawn (a held call leaves the approval list). */
  onEnd: (() => void) | null;
}

export function newBatch(origin?: unknown): Batch {
  return { origin, parts: [], bytes: 2, open: 1 };
}

export class ClientRequests {
  /** Keyed by the id itself: a Map keeps `1` and `"1"` apart. */
  readonly #byId = new Map<JsonRpcId, ClientRequest>();

  constructor(
    readonly send: (line: string, origin: unknown, answer: boolean) => void,
    readonly limits: { maxInFlight: number; maxBytes: number },
  ) {}

  get size(): number {
    return this.#byId.size;
  }

  has(id: JsonRpcId): boolean {
    return this.#byId.has(id);
  }

  get(id: JsonRpcId): ClientRequest | undefined {
    return this.#byId.get(id);
  }

  /** Takes on a request; the reason it cannot be when its id is in use or the table is full. */
  reserve(
    id: JsonRpcId,
    batch: Batch | null,
    era: Era,
    origin?: unknown,
  ): ClientRequest | "in use" | "full" {
    if (this.#byId.has(id)) return "in use";
    if (this.#byId.size >= this.limits.maxInFlight) return "full";
    const request: ClientRequest = {
      id,
      batch,
      era,
      origin: batch ? batch.origin : origin,
      upstreamId: null,
      done: false,
      onEnd: null,
    };
    this.#byId.set(id, request);
    if (batch) batch.open++;
    return request;
  }

  /** Sends the one answer to `request` (or holds it for its batch); later calls do nothing. */
  answer(request: ClientRequest, message: JsonObject): void {
    this.answerText(request, JSON.stringify(message));
  }

  /** `answer`, for an answer already serialised (relayed as the upstream wrote it). */
  answerText(request: ClientRequest, text: string): void {
    if (request.done) return;
    request.done = true;
    this.#byId.delete(request.id);
    request.onEnd?.();
    if (!request.batch) {
      this.send(text, request.origin, true);
      return;
    }
    this.#addToBatch(request.batch, request.id, text);
    this.settle(request.batch);
  }

  /** The client cancelled `id`: it is free again at once and will get no answer. */
  withdraw(id: JsonRpcId): ClientRequest | undefined {
    const request = this.#byId.get(id);
    if (!request) return undefined;
    request.done = true;
    this.#byId.delete(id);
    request.onEnd?.();
    if (request.batch) this.settle(request.batch);
    return request;
  }

  /** The ids of the open requests that came from `origin`. */
  idsFrom(origin: unknown): JsonRpcId[] {
    const ids: JsonRpcId[] = [];
    for (const request of this.#byId.values()) if (request.origin === origin) ids.push(request.id);
    return ids;
  }

  /** Every request still open, removed from the table (the session is ending). */
  takeAll(): ClientRequest[] {
    const all = [...this.#byId.values()];
    this.#byId.clear();
    return all;
  }

  /** An answer to a message that was never taken on (malformed, refused at once). */
  reply(batch: Batch | null, message: JsonObject, origin?: unknown): void {
    if (!batch) this.send(JSON.stringify(message), origin, true);
    else this.#addToBatch(batch, message.id as JsonRpcId | null, JSON.stringify(message));
  }

  /** One less thing open in the batch; sends it once nothing is. */
  settle(batch: Batch): void {
    batch.open--;
    if (batch.open === 0 && batch.parts.length > 0) {
      this.send(`[${batch.parts.join(",")}]`, batch.origin, true);
    }
  }

  /** A batch answer stays within the size limit: an answer that would not fit is an error. */
  #addToBatch(batch: Batch, id: JsonRpcId | null, text: string): void {
    let part = text;
    if (batch.bytes + part.length + 1 > this.limits.maxBytes) {
      part = JSON.stringify(errorResponse(
        id,
        ErrorCode.internalError,
        `The answer of ${part.length} bytes does not fit in the batch's answer, whose size ` +
          `limit is ${this.limits.maxBytes} bytes: send this request on its own`,
      ));
    }
    batch.parts.push(part);
    batch.bytes += part.length + 1;
  }
}
