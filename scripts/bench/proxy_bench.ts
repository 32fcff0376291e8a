/**
 * The proxy's figures, each against the physical limit: the same raw JSON-RPC client talking
 * to the same minimal upstream, once directly and once through `intercept` over stdio.
 */
import { RUNTIME_V8_FLAGS } from "../runtime_flags.ts";
import { readCpuMs, readRss } from "./proc_stats.ts";
import { callSucceeded, RpcChild } from "./rpc_client.ts";
import { median, percentile } from "./stats.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const DENO = Deno.execPath();
const SERVER = [DENO, "run", "-A", `${ROOT}scripts/bench/minimal_server.ts`];
export const POLICY_PATH = `${ROOT}scripts/bench/kafka_like_policy.yaml`;

/** argv of the two peers: the upstream alone, and the upstream behind the proxy. */
export const PATHS = {
  direct: SERVER,
  proxied: [
    DENO,
    "run",
    `--v8-flags=${RUNTIME_V8_FLAGS}`,
    "-A",
    `${ROOT}src/main.ts`,
    "-c",
    POLICY_PATH,
    "--",
    ...SERVER,
  ],
} as const;
export type PathName = keyof typeof PATHS;

/** The calls both paths make in turn: each is allowed by the policy and reaches the server. */
export const ROUND_TRIP_CALLS = [
  { name: "list-topics", arguments: {} },
  {
    name: "consume-messages",
    arguments: { topicNames: ["orders-eu"], maxMessages: 100, fromBeginning: false },
  },
  { name: "get-topic-config", arguments: { topicName: "orders-eu" } },
] as const;

export async function startPeer(path: PathName): Promise<RpcChild> {
  const [command, ...args] = PATHS[path];
  const peer = RpcChild.spawn(command, args);
  await peer.initialize();
  return peer;
}

/** Counts calls that did not come back as a plain success (a denial would skew figures). */
export class FailureCount {
  count = 0;
}

function call(peer: RpcChild, index: number, failures: FailureCount): Promise<void> {
  return peer.request("tools/call", ROUND_TRIP_CALLS[index % ROUND_TRIP_CALLS.length]).then(
    (response) => {
      if (!callSucceeded(response)) failures.count++;
    },
  );
}

/** p50 and p99 in µs of `calls` sequential round trips, after `warmup` uncounted ones. */
export async function latencyRun(
  peer: RpcChild,
  options: { warmup: number; calls: number; failures: FailureCount },
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < options.warmup; i++) await call(peer, i, options.failures);
  const samples = new Array<number>(options.calls);
  for (let i = 0; i < options.calls; i++) {
    const started = performance.now();
    await call(peer, i, options.failures);
    samples[i] = (performance.now() - started) * 1000;
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export interface PipelineOptions {
  calls: number;
  /** Calls kept outstanding: a new one goes out as soon as one is answered. */
  inFlight: number;
  failures: FailureCount;
}

/** Makes `calls` calls keeping `inFlight` outstanding; returns the elapsed ms. */
export async function pipelined(peer: RpcChild, options: PipelineOptions): Promise<number> {
  const { calls, inFlight, failures } = options;
  let next = 0;
  const lane = async () => {
    while (next < calls) await call(peer, next++, failures);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, calls) }, lane));
  return performance.now() - started;
}

/**
 * Calls per second with `inFlight` calls pipelined, after a pipelined warm-up, and the CPU
 * time the peer process (the server, or the proxy without its server) spent per call.
 */
export async function throughputRun(
  peer: RpcChild,
  options: PipelineOptions & { warmup: number },
): Promise<{ callsPerS: number; cpuUsPerCall: number }> {
  await pipelined(peer, { ...options, calls: options.warmup });
  const cpuBefore = readCpuMs(peer.pid);
  const ms = await pipelined(peer, options);
  const cpuMs = readCpuMs(peer.pid) - cpuBefore;
  return { callsPerS: options.calls / (ms / 1000), cpuUsPerCall: cpuMs * 1000 / options.calls };
}

/** Median ms from spawn to `initialize` answered, over `spawns` fresh processes. */
export async function startupRun(path: PathName, spawns: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < spawns; i++) {
    const [command, ...args] = PATHS[path];
    const started = performance.now();
    const peer = RpcChild.spawn(command, args);
    try {
      await peer.initialize();
      samples.push(performance.now() - started);
    } finally {
      await peer.close();
    }
  }
  return median(samples);
}

/**
 * A fresh proxy's peak RSS (VmHWM, MiB) after `first` pipelined calls, and its growth in
 * percent by `total` calls; also its peak once `initialize` is answered, before any call.
 * `deno run` is the proxy process itself, so its pid is the proxy's.
 */
export async function memoryRun(
  options: { first: number; total: number; inFlight: number; failures: FailureCount },
): Promise<{ rssMb: number; growthPct: number; startMb: number }> {
  const { first, total, inFlight, failures } = options;
  const proxy = await startPeer("proxied");
  try {
    const startMb = readRss(proxy.pid).peakMb;
    await pipelined(proxy, { calls: first, inFlight, failures });
    const early = readRss(proxy.pid).peakMb;
    await pipelined(proxy, { calls: total - first, inFlight, failures });
    const late = readRss(proxy.pid).peakMb;
    return { rssMb: early, growthPct: (late - early) / early * 100, startMb };
  } finally {
    await proxy.close();
  }
}
