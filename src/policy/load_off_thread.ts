/**
 * Loads a policy for the proxy without loading a parser in its thread: from the checked-policy
 * cache when this exact text was checked before (for a policy file this user owns), else
 * checked in a worker (and cached). The result is compiled here either way.
 */
import { compilePolicy } from "./compile.ts";
import type { CompiledPolicy } from "./compiled.ts";
import { PolicyLoadError } from "./load_error.ts";
import type { PolicyCache } from "./policy_cache.ts";
import { ownedByThisUser, readPolicySource } from "./policy_source.ts";
import type { WorkerReply, WorkerRequest } from "./policy_worker.ts";
import type { Policy } from "./schema.ts";

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
    const cached = await cache.read(key);
    if (cached !== null) {
      try {
        return compilePolicy(cached as Policy, { source: path });
      } catch (error) {
        options.log?.(`Policy cache entry ${key} does not compile: ${(error as Error).message}`);
      }
    }
  }
  // The worker checks the text that was hashed, not the file again: it may have changed since.
  const policy = await checkInWorker({ path, text });
  const compiled = compilePolicy(policy as Policy, { source: path });
  if (cache && key) await cache.write(key, policy);
  return compiled;
}

function checkInWorker(request: WorkerRequest): Promise<unknown> {
  const worker = new Worker(new URL("./policy_worker.ts", import.meta.url), { type: "module" });
  return new Promise<unknown>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.ok) resolve(reply.policy);
      else if ("errors" in reply) reject(new PolicyLoadError(reply.errors));
      else reject(new Error(`Cannot load the policy: ${reply.message}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`Cannot load the policy: ${event.message}`));
    };
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
