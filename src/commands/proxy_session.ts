/**
 * What a stdio proxy needs once its server is spawned: loaded by `run_proxy.ts` only then (by a
 * computed URL, so that `deno run` builds this part of the module graph while the server boots
 * rather than before it starts it; `deno task compile` embeds it with `--include`).
 */
export { loadPolicyOffThread } from "../policy/load_off_thread.ts";
export { openPolicyCache } from "../policy/policy_cache.ts";
export { serveStdio } from "../proxy/serve_stdio.ts";
export { attachOperations } from "../proxy/operations.ts";
