/// <reference lib="deno.worker" />
/**
 * Worker entry: reads and checks a policy file off the main thread, so that the YAML parser
 * and the schema never stall the proxy's traffic (at start-up or on a reload).
 */
import { checkPolicyText, PolicyLoadError, readPolicySource } from "./loader.ts";

export type WorkerReply =
  | { ok: true; policy: unknown }
  | { ok: false; errors: PolicyLoadError["errors"] }
  | { ok: false; message: string };

self.onmessage = async (event: MessageEvent<{ path: string }>) => {
  const { path } = event.data;
  let reply: WorkerReply;
  try {
    reply = { ok: true, policy: checkPolicyText(await readPolicySource(path), path) };
  } catch (error) {
    reply = error instanceof PolicyLoadError
      ? { ok: false, errors: error.errors }
      : { ok: false, message: String((error as Error)?.message ?? error) };
  }
  self.postMessage(reply);
};
