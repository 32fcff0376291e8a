/**
 * Opens the state store `--state` names. SQLite opens at once (a bad file is an error at
 * start); Redis connects for a moment and, if the server is not there yet, starts anyway and
 * keeps trying: calls that need it are denied (or let through with `--state-fail open`) until
 * it answers. The Redis client is loaded only when asked for.
 */
import { MemoryBackend } from "./memory_backend.ts";
import type { StateBackend } from "./state_backend.ts";

/** Which store `--state` names. */
export type StateSpec =
  | { kind: "memory" }
  | { kind: "sqlite"; path: string }
  | { kind: "redis"; url: string; prefix: string };

export interface OpenStateOptions {
  timeoutMs: number;
  log: (level: "info" | "warn", message: string) => void;
  /** How long to wait for Redis before starting without it (default 8 take budgets, ≥ 2 s). */
  connectMs?: number;
}

export async function openStateBackend(
  spec: StateSpec,
  options: OpenStateOptions,
): Promise<StateBackend> {
  switch (spec.kind) {
    case "memory":
      return new MemoryBackend();
    case "sqlite": {
      const { SqliteBackend } = await import("./sqlite_backend.ts");
      return new SqliteBackend(spec.path, { timeoutMs: options.timeoutMs });
    }
    case "redis": {
      const { RedisBackend } = await import("./redis_backend.ts");
      const store = new RedisBackend(spec.url, {
        prefix: spec.prefix,
        timeoutMs: options.timeoutMs,
        log: options.log,
      });
      const connectMs = options.connectMs ?? Math.max(2_000, options.timeoutMs * 8);
      if (!await store.connect(connectMs)) {
        const health = store.health();
        options.log(
          "warn",
          `State store ${store.description} is not reachable (${health.error}); calls that ` +
            `need it are refused until it answers`,
        );
      }
      return store;
    }
  }
}
