/**
 * `deno task bench:state`: what a decision costs per state store, and the engine before and
 * after the engine/state split, measured in one run.
 *
 * - take p50/p99: one `take` of produce-message's plan on the Kafka-like policy (a per-session
 *   quota and the `"*"` global quota), per store: memory, SQLite (a temp file, WAL), Redis on
 *   loopback (`--redis URL`, else `INTERCEPT_TEST_REDIS`, else a redis-server started here).
 * - engine_ns_per_decision: `engineRun` of the current tree, and of the tree before the split
 *   (`--before REV`, default the split's parent), extracted with `git archive` into a temp
 *   folder and imported in this same process.
 *
 * Flags: --quick (fewer takes), --json FILE, --redis URL, --before REV.
 * The main bench can add these figures by calling `stateFigures()`.
 */
import { parseArgs } from "node:util";
import { evaluate } from "../../src/engine/evaluate.ts";
import { isPlan, type Plan } from "../../src/engine/plan.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { NO_LIVE_DENIES } from "../../src/state/decide_now.ts";
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import type { StateBackend } from "../../src/state/state_backend.ts";
import { engineRun } from "./engine_bench.ts";
import { median, percentile } from "./stats.ts";

const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const POLICY_PATH = `${HERE}kafka_like_policy.yaml`;
/** The parent of the commit that split evaluate from the state store. */
export const SPLIT_PARENT = "72c24d1~1";

export interface StateFigures {
  /** Per store: p50 and p99 of one take, in µs. */
  take_us: Record<string, { p50: number; p99: number; takes: number } | { skipped: string }>;
  engine_ns_per_decision: { after: number; before: number | null; before_rev: string | null };
}

/** The figures as lines of text, for this script and the main bench. */
export function stateLines(figures: StateFigures): string[] {
  const lines = [
    "take of one plan (produce-message: a per-session and a global quota), µs",
    "store    p50      p99      takes",
  ];
  for (const [store, figure] of Object.entries(figures.take_us)) {
    if ("skipped" in figure) lines.push(`${store.padEnd(8)} skipped: ${figure.skipped}`);
    else {
      lines.push(
        `${store.padEnd(8)} ${String(figure.p50).padEnd(8)} ${
          String(figure.p99).padEnd(8)
        } ${figure.takes}`,
      );
    }
  }
  const engine = figures.engine_ns_per_decision;
  lines.push(
    `engine_ns_per_decision: ${engine.after} now` +
      (engine.before === null ? "" : `, ${engine.before} before the split (${engine.before_rev})`),
  );
  return lines;
}

export async function stateFigures(options: {
  quick: boolean;
  redis: string | null;
  before: string | null;
}): Promise<StateFigures> {
  const policy = loadPolicyText(await Deno.readTextFile(POLICY_PATH), POLICY_PATH);
  // The engine first, while its code has seen nothing else (as the tree before it has not).
  const batches = options.quick
    ? { batches: 7, batchSize: 20_000 }
    : { batches: 15, batchSize: 50_000 };
  const before = options.before === null ? null : await engineBefore(options.before, batches);
  const afters: number[] = [];
  const befores: number[] = [];
  engineRun(policy, { batches: 1, batchSize: batches.batchSize });
  // Interleaved, so that the machine's load weighs on both alike.
  for (let round = 0; round < (options.quick ? 3 : 7); round++) {
    afters.push(engineRun(policy, batches));
    if (before) befores.push(before.run());
  }
  const after = Math.round(median(afters));
  const takes = options.quick ? 1_000 : 5_000;
  const take_us: StateFigures["take_us"] = {};
  take_us.memory = measureMemoryTakes(policy, takes * 20);
  const dir = await Deno.makeTempDir({ prefix: "intercept-bench-state-" });
  try {
    const { SqliteBackend } = await import("../../src/state/sqlite_backend.ts");
    const sqlite = new SqliteBackend(`${dir}/state.db`);
    take_us.sqlite = await measureTakes(sqlite, policy, takes);
    await sqlite.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  take_us.redis = await withRedis(options.redis, async (url) => {
    const { RedisBackend } = await import("../../src/state/redis_backend.ts");
    const store = new RedisBackend(url, { prefix: `bench-${crypto.randomUUID().slice(0, 8)}` });
    if (!await store.connect(5_000)) throw new Error(`Cannot reach ${url}`);
    try {
      return await measureTakes(store, policy, takes);
    } finally {
      await store.reset();
      await store.close();
    }
  });
  return {
    take_us,
    engine_ns_per_decision: {
      after,
      before: before ? Math.round(median(befores)) : null,
      before_rev: before?.rev ?? null,
    },
  };
}

/** produce-message's plan for 64 sessions, so that quotas never run out. */
function benchPlans(policy: CompiledPolicy): Plan[] {
  const plans: Plan[] = [];
  for (let i = 0; i < 64; i++) {
    const call = {
      tool: "produce-message",
      args: { topicName: "orders-eu", valueFormat: "json", value: { message: "{}" } },
      session: `bench-${i}`,
    };
    const verdict = evaluate(policy, call, NO_LIVE_DENIES);
    if (!isPlan(verdict)) throw new Error("produce-message has no plan: the bench is broken");
    plans.push(verdict);
  }
  return plans;
}

/**
 * Memory takes last about a microsecond, below the clock's grain: each sample is the mean of
 * a batch of 100, and p50/p99 are over the batches.
 */
function measureMemoryTakes(policy: CompiledPolicy, count: number) {
  const plans = benchPlans(policy);
  const store = new MemoryBackend();
  let now = 1_767_225_600_000;
  const batch = 100;
  const times: number[] = [];
  for (let b = 0; b < count / batch; b++) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) store.take(plans[i % plans.length], now++);
    times.push((performance.now() - started) * 1000 / batch);
  }
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), takes: count };
}

/** Takes of produce-message's plan, each timed. */
async function measureTakes(store: StateBackend, policy: CompiledPolicy, count: number) {
  const plans = benchPlans(policy);
  let now = 1_767_225_600_000;
  const one = async (i: number) => {
    const facts = await store.take(plans[i % plans.length], now);
    now += 1;
    return facts;
  };
  for (let i = 0; i < Math.min(500, count); i++) await one(i);
  await store.reset();
  const times: number[] = [];
  let taken = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const facts = await one(i);
    times.push((performance.now() - started) * 1000);
    if (facts.taken) taken++;
  }
  if (taken === 0) throw new Error(`${store.description} took nothing: the bench is broken`);
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), takes: count };
}

/** The engine of `rev`, from a `git archive` of it, run in this process. */
async function engineBefore(rev: string, batches: { batches: number; batchSize: number }) {
  const dir = await Deno.makeTempDir({ prefix: "intercept-bench-before-" });
  try {
    const archive = new Deno.Command("git", {
      args: ["archive", "--format=tar", rev, "src", "scripts/bench"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const tar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
    await archive.stdout.pipeTo(tar.stdin);
    const [made, unpacked] = await Promise.all([archive.output(), tar.status]);
    if (!made.success || !unpacked.success) {
      console.error(
        `bench:state: no engine before (${rev}): ${new TextDecoder().decode(made.stderr)}`,
      );
      return null;
    }
    const loader = await import(`${dir}/src/policy/loader.ts`);
    const bench = await import(`${dir}/scripts/bench/engine_bench.ts`);
    const text = await Deno.readTextFile(`${dir}/scripts/bench/kafka_like_policy.yaml`);
    const policy = loader.loadPolicyText(text, POLICY_PATH);
    bench.engineRun(policy, { batches: 1, batchSize: batches.batchSize });
    return { run: () => bench.engineRun(policy, batches) as number, rev };
  } finally {
    // The modules are loaded: the files can go.
    await Deno.remove(dir, { recursive: true });
  }
}

async function withRedis<T>(
  given: string | null,
  work: (url: string) => Promise<T>,
): Promise<T | { skipped: string }> {
  if (given) return await work(given);
  let child: Deno.ChildProcess;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  try {
    child = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return { skipped: "no Redis: give --redis URL or install redis-server" };
  }
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("Ready to accept connections")) {
      const { value, done } = await reader.read();
      if (done) return { skipped: `redis-server did not start: ${seen}` };
      seen += value;
    }
    (async () => {
      while (!(await reader.read()).done);
    })().catch(() => {});
    return await work(`redis://127.0.0.1:${port}/0`);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

function round(us: number): number {
  return Math.round(us * 100) / 100;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      redis: { type: "string" },
      before: { type: "string", default: SPLIT_PARENT },
    },
  });
  const figures = await stateFigures({
    quick: values.quick!,
    redis: values.redis ?? (Deno.env.get("INTERCEPT_TEST_REDIS") || null),
    before: values.before === "none" ? null : values.before!,
  });
  for (const line of stateLines(figures)) console.log(line);
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(figures, null, 2) + "\n");
}
