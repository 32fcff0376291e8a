/// <reference lib="deno.worker" />
/**
 * Worker entry: checks a policy's text off the main thread, so that the YAML parser and the
 * schema never stall the proxy's traffic (at start-up or on a reload) nor stay in its heap.
 * The checked policy goes back in small messages (`policyMessages`), one each time the main
 * thread asks for the next: messages queued together would be received in one long task.
 */
import { checkPolicyText, PolicyLoadError } from "./loader.ts";
import { policyMessages, type WorkerReply, type WorkerRequest } from "./policy_transfer.ts";

let replies: Iterator<WorkerReply> | null = null;

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.kind === "next") {
    const next = replies?.next();
    if (next && !next.done) self.postMessage(next.value);
    return;
  }
  try {
    replies = policyMessages(checkPolicyText(request.text, request.path));
    self.postMessage(replies.next().value);
  } catch (error) {
    self.postMessage(
      error instanceof PolicyLoadError
        ? { kind: "errors", errors: error.errors }
        : { kind: "failed", message: String((error as Error)?.message ?? error) },
    );
  }
};
