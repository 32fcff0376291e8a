/**
 * Loads a policy for the proxy without a parser in its thread: from the checked-policy cache
 * when this exact text was checked before (for a policy file this user owns), else checked in
 * a worker (and cached). The checked policy is compiled here in slices that yield to the event
 * loop, and arrives from the worker in small parts: neither stalls the main thread.
 */
import { compilePolicyInSlices, type PolicyParts } from "./compile.ts";
import type { CompiledPolicy } from "./compiled.ts";
import { PolicyLoadError } from "./load_error.ts";
import type { PolicyCache } from "./policy_cache.ts";
import { ownedByThisUser, readPolicySource } from "./policy_source.ts";
import {
  partsOfStored,
  PolicyAssembler,
  storedPolicy,
  type WorkerReply,
  type WorkerRequest,
} from "./policy_transfer.ts";

export interface LoadOptions {
  /** The checked-policy cache; none when null or omitted. */
  cache?: PolicyCache | null;
  /** Why a cached entry was not used (debug). */
  log?: (message: string) => void;
  /** This user's id (null where there is none): `Deno.uid()` by default. */
  uid?: number | null;
}

export async function loadPolicyOffThread(
  path: string,
  options: LoadOptions = {},
): Promise<CompiledPolicy> {
  const text = await readPolicySource(path);
  // A policy another user manages must not be weakened through this user's cache.
  const cache = options.cache && await ownedByThisUser(path, options.uid) ? options.cache : null;
  const key = cache ? await cache.keyOf(text) : null;
  if (cache && key) {
    const cached = partsOfStored(await cache.read(key));
    if (cached !== null) {
      try {
        return await compilePolicyInSlices(cached, { source: path });
      } catch (error) {
        options.log?.(`Policy cache entry ${key} does not compile: ${(error as Error).message}`);
      }
    }
  }
  // The worker checks the text that was hashed, not the file again: it may have changed since.
  const parts = await checkInWorker(path, text);
  const compiled = await compilePolicyInSlices(parts, { source: path });
  if (cache && key) await cache.write(key, storedPolicy(parts));
  return compiled;
}

function checkInWorker(path: string, text: string): Promise<PolicyParts> {
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
    worker.postMessage({ kind: "load", path, text } satisfies WorkerRequest);
  }).finally(() => worker.terminate());
}
