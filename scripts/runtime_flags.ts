/**
 * V8 flags the compiled binary runs with (`deno compile --v8-flags`), and `deno task intercept`
 * with it (deno.json). The benchmark runs the proxy from source with the same flags, so that it
 * measures what users run. A small young generation and a slowly growing old one keep the heap
 * small under steady traffic at the CPU cost of V8's defaults; `--optimize-for-size`, used
 * before, cost about a fifth more CPU per call (see README, Performance).
 */
export const RUNTIME_V8_FLAGS = "--max-semi-space-size=1,--heap-growing-percent=10";
