/// <reference lib="deno.worker" />
/**
 * Worker entry: checks a policy's text off the main thread, so that the YAML parser and the
 * schema never stall the proxy's traffic (at start-up or on a reload) nor stay in its heap.
 */
import { checkPolicyText, PolicyLoadError } from "./loader.ts";

/** The policy's text and where it came from (for messages). */
export interface WorkerRequest {
  path: string;
  text: string;
}

export type WorkerReply =
  | { ok: true; policy: unknown }
  | { ok: false; errors: PolicyLoadError["errors"] }
  | { ok: false; message: string };

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const { path, text } = event.data;
  let reply: WorkerReply;
  try {
    reply = { ok: true, policy: checkPolicyText(text, path) };
  } catch (error) {
    reply = error instanceof PolicyLoadError
      ? { ok: false, errors: error.errors }
      : { ok: false, message: String((error as Error)?.message ?? error) };
  }
  self.postMessage(reply);
};
