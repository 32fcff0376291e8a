/** Loads a policy in a worker and compiles the checked result here (no parser loaded here). */
import { compilePolicy } from "./compile.ts";
import type { CompiledPolicy } from "./compiled.ts";
import { PolicyLoadError } from "./load_error.ts";
import type { WorkerReply } from "./policy_worker.ts";
import type { Policy } from "./schema.ts";

export function loadPolicyOffThread(path: string): Promise<CompiledPolicy> {
  const worker = new Worker(new URL("./policy_worker.ts", import.meta.url), { type: "module" });
  return new Promise<CompiledPolicy>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.ok) resolve(compilePolicy(reply.policy as Policy, { source: path }));
      else if ("errors" in reply) reject(new PolicyLoadError(reply.errors));
      else reject(new Error(`Cannot load the policy: ${reply.message}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`Cannot load the policy: ${event.message}`));
    };
    worker.postMessage({ path });
  }).finally(() => worker.terminate());
}
