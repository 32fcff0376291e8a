/**
 * Loads a policy in a worker and compiles the checked result here, in slices that yield to
 * the event loop: neither receiving nor compiling a large policy stalls the main thread.
 */
import { compilePolicyInSlices } from "./compile.ts";
import type { CompiledPolicy } from "./compiled.ts";
import { PolicyLoadError } from "./load_error.ts";
import { PolicyAssembler, type WorkerReply, type WorkerRequest } from "./policy_transfer.ts";
import type { PolicyParts } from "./compile.ts";

export function loadPolicyOffThread(path: string): Promise<CompiledPolicy> {
  const worker = new Worker(new URL("./policy_worker.ts", import.meta.url), { type: "module" });
  const assembler = new PolicyAssembler();
  return new Promise<PolicyParts>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.kind === "errors") reject(new PolicyLoadError(reply.errors));
      else if (reply.kind === "failed") {
        reject(new Error(`Cannot load the policy: ${reply.message}`));
      } else {
        try {
          const policy = assembler.add(reply);
          // Ask for the next part only after the event loop has run: one part per task.
          if (policy) resolve(policy);
          else setTimeout(() => worker.postMessage({ kind: "next" } satisfies WorkerRequest), 0);
        } catch (error) {
          reject(error);
        }
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`Cannot load the policy: ${event.message}`));
    };
    worker.postMessage({ kind: "load", path } satisfies WorkerRequest);
  }).finally(() => worker.terminate())
    .then((policy) => compilePolicyInSlices(policy, { source: path }));
}
