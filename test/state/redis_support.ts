/**
 * The Redis server the tests use: `INTERCEPT_TEST_REDIS` (`.ci/run` starts one and sets it).
 * Without it, Redis tests are skipped with a message, except where `.ci/run` says they must
 * run (`INTERCEPT_TEST_REDIS_REQUIRED=1`). Tests that stop and start a server of their own need
 * `redis-server` on the PATH.
 */
import { RedisBackend } from "../../src/state/redis_backend.ts";

export const REDIS_URL = Deno.env.get("INTERCEPT_TEST_REDIS") || null;

/** Set by `.ci/run`, which installs and starts Redis: a missing server is then a failure. */
const inCi = Deno.env.get("INTERCEPT_TEST_REDIS_REQUIRED") === "1";

/** Why Redis tests cannot run here, or undefined when they can. */
export const REDIS_SKIP: string | undefined = REDIS_URL ? undefined : (() => {
  if (inCi) throw new Error("INTERCEPT_TEST_REDIS is not set, and .ci/run requires Redis tests");
  console.error(
    "Redis tests skipped: set INTERCEPT_TEST_REDIS=redis://127.0.0.1:PORT/0 to run them " +
      "(apt-get install redis-server; redis-server --port PORT)",
  );
  return "INTERCEPT_TEST_REDIS is not set";
})();

/** A prefix of its own per test, so that tests sharing the server never meet. */
export function testPrefix(): string {
  return `t-${crypto.randomUUID().slice(0, 12)}`;
}

/** A store that forgets its quotas and counters when closed (the test server is shared). */
export class TestRedisBackend extends RedisBackend {
  override async close(): Promise<void> {
    try {
      await this.reset();
    } catch {
      // The server may be the one a test stopped.
    }
    await super.close();
  }
}

export async function openTestRedis(prefix = testPrefix()): Promise<TestRedisBackend> {
  const store = new TestRedisBackend(REDIS_URL!, { prefix });
  if (!await store.connect(5_000)) throw new Error(`Cannot reach ${REDIS_URL}`);
  return store;
}

/** A free TCP port on loopback. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const hasRedisServer = (() => {
  try {
    return new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Why a test cannot start a Redis server of its own here, or undefined when it can. */
export const OWN_REDIS_SKIP: string | undefined = hasRedisServer ? undefined : (() => {
  if (inCi) throw new Error("redis-server is not installed, and .ci/run requires Redis tests");
  return "redis-server is not installed";
})();

/** A Redis server of the test's own on `port`, without persistence; `stop()` kills it. */
export class OwnRedis {
  #child: Deno.ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    this.#child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    // Ready once it says so on its log.
    const reader = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!/Ready to accept connections/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`redis-server on ${this.port} ended before it was ready: ${seen}`);
      seen += value;
    }
    // Keep draining its output so that it never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done);
    })().catch(() => {});
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone already.
    }
    await child.status;
  }
}
