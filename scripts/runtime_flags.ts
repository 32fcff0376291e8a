/**
 * V8 flags the compiled binary runs with (`deno compile --v8-flags`), and `deno task intercept`
 * with it (deno.json). The benchmark runs the proxy from source with the same flags, so that it
 * measures what users run. A small young generation keeps the heap from growing under steady
 * traffic (10,000 to 100,000 calls: under 5%) without `--optimize-for-size`, which cost a
 * quarter more CPU per call (see README, Performance).
 */
export const RUNTIME_V8_FLAGS = "--max-semi-space-size=2";
