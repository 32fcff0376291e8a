/**
 * V8 flags the compiled binary runs with (`deno compile --v8-flags`). The benchmark runs the
 * proxy from source with the same flags, so that it measures what users run.
 * `--optimize-for-size` keeps V8's heap from growing under steady traffic (see README).
 */
export const RUNTIME_V8_FLAGS = "--optimize-for-size";
