/**
 * Questions the proxy itself puts to the client (a legacy `elicitation/create` asking the user
 * to approve a held call), under ids of its own: the client's answers to them are the proxy's,
 * never the upstream's. Bounded in number; a question no longer wanted is cancelled.
 */
import type { ClientQuestion } from "./held_calls.ts";
import { isObject, type JsonObject, type JsonRpcId } from "./jsonrpc.ts";

/** Questions out at once, at most (each is a held call's). */
const MAX_QUESTIONS = 1_000;
/** The ids of the proxy's own questions: a server's request may not use them. */
export const QUESTION_ID_PREFIX = "intercept-question-";
const PREFIX = QUESTION_ID_PREFIX;

export class ClientQuestions {
  readonly #open = new Map<
    string,
    { resolve(result: JsonObject): void; reject(error: Error): void }
  >();
  #next = 1;

  constructor(readonly send: (message: JsonObject, origin: unknown) => void) {}

  ask(method: string, params: JsonObject, origin: unknown): ClientQuestion {
    if (this.#open.size >= MAX_QUESTIONS) {
      return { answer: Promise.reject(new Error("too many questions out")), cancel: () => {} };
    }
    const id = `${PREFIX}${this.#next++}`;
    const answer = new Promise<JsonObject>((resolve, reject) => {
      this.#open.set(id, { resolve, reject });
    });
    answer.catch(() => {}); // The asker hears of it; nobody else needs to.
    this.send({ jsonrpc: "2.0", id, method, params }, origin);
    return {
      answer,
      cancel: () => {
        if (!this.#open.delete(id)) return;
        this.send({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: id, reason: "The call was decided" },
        }, origin);
      },
    };
  }

  /** Takes the client's answer if it answers one of the proxy's questions; true when it did. */
  answered(id: JsonRpcId, message: JsonObject): boolean {
    if (typeof id !== "string" || !id.startsWith(PREFIX)) return false;
    const question = this.#open.get(id);
    this.#open.delete(id);
    if (!question) return true; // a late answer to a question withdrawn: still ours, dropped
    if (isObject(message.result)) question.resolve(message.result);
    else question.reject(new Error(JSON.stringify(message.error ?? "no result").slice(0, 200)));
    return true;
  }

  /** The client is gone: every question ends unanswered. */
  clear(): void {
    for (const question of this.#open.values()) question.reject(new Error("the client is gone"));
    this.#open.clear();
  }
}
