/**
 * The proxy's figures, each against yardsticks measured in the same run with the same raw
 * JSON-RPC client and the same minimal upstream: the upstream alone (direct), behind a Deno
 * process that only copies bytes (byte relay), behind one that parses and re-serialises every
 * line (parse relay), and behind `intercept` (alone, with an audit log, with a subscribed
 * dashboard).
 */
import { ControlClient } from "../../src/control/control_client.ts";
import { RUNTIME_V8_FLAGS } from "../runtime_flags.ts";
import { cpuSnapshot, cpuUsBetween, readRss } from "./proc_stats.ts";
import { callSucceeded, RpcChild } from "./rpc_client.ts";
import { median, percentile } from "./stats.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const DENO = Deno.execPath();
const SERVER = [DENO, "run", "-A", `${ROOT}scripts/bench/minimal_server.ts`];
export const POLICY_PATH = `${ROOT}scripts/bench/kafka_like_policy.yaml`;

export const PATH_NAMES = [
  "direct",
  "byte_relay",
  "parse_relay",
  "proxied",
  "proxied_audit",
  "proxied_dashboard",
] as const;
export type PathName = typeof PATH_NAMES[number];

/** Where a run keeps its files: audit logs, control sockets, the proxies' cache folder. */
export class Scratch {
  #next = 0;
  private constructor(readonly dir: string) {}

  static async create(): Promise<Scratch> {
    return new Scratch(await Deno.makeTempDir({ prefix: "intercept-bench-" }));
  }

  /** A fresh path in the folder. */
  path(name: string): string {
    return `${this.dir}/${this.#next++}-${name}`;
  }

  /** The environment of every proxy the run starts: its own policy cache folder. */
  get env(): Record<string, string> {
    return { INTERCEPT_POLICY_CACHE: `${this.dir}/policy-cache` };
  }

  remove(): Promise<void> {
    return Deno.remove(this.dir, { recursive: true });
  }
}

function relayArgv(file: string): string[] {
  // The relays run with Deno's own defaults: a yardstick independent of the proxy's flags.
  return [DENO, "run", "-A", `${ROOT}scripts/bench/${file}`, "--", ...SERVER];
}

function proxyArgv(flags: readonly string[] = []): string[] {
  return [
    DENO,
    "run",
    `--v8-flags=${RUNTIME_V8_FLAGS}`,
    "-A",
    `${ROOT}src/main.ts`,
    "-c",
    POLICY_PATH,
    ...flags,
    "--",
    ...SERVER,
  ];
}

/** The calls every path makes in turn: each is allowed by the policy and reaches the server. */
export const ROUND_TRIP_CALLS = [
  { name: "list-topics", arguments: {} },
  {
    name: "consume-messages",
    arguments: { topicNames: ["orders-eu"], maxMessages: 100, fromBeginning: false },
  },
  { name: "get-topic-config", arguments: { topicName: "orders-eu" } },
] as const;

/** A started path: the process the client talks to, ready for calls. */
export interface Peer {
  readonly rpc: RpcChild;
  /** Decision events the subscribed dashboard received (dashboard path only). */
  readonly events: () => number;
  close(): Promise<void>;
}

export async function startPeer(path: PathName, scratch: Scratch): Promise<Peer> {
  let argv: string[];
  let controlPath: string | null = null;
  switch (path) {
    case "direct":
      argv = SERVER;
      break;
    case "byte_relay":
      argv = relayArgv("byte_relay.ts");
      break;
    case "parse_relay":
      argv = relayArgv("parse_relay.ts");
      break;
    case "proxied":
      argv = proxyArgv();
      break;
    case "proxied_audit":
      argv = proxyArgv(["--audit", scratch.path("audit.jsonl")]);
      break;
    case "proxied_dashboard":
      controlPath = scratch.path("control.sock");
      argv = proxyArgv(["--control", controlPath]);
      break;
  }
  const rpc = RpcChild.spawn(argv[0], argv.slice(1), scratch.env);
  await rpc.initialize();
  if (controlPath === null) return { rpc, events: () => 0, close: () => rpc.close() };
  // A first call waits for the policy and the control socket: then the dashboard subscribes.
  await call(rpc, 0, new FailureCount());
  const dashboard = await ControlClient.connect(controlPath);
  let events = 0;
  dashboard.onEvent((event) => {
    if (event.method === "decision") events++;
  });
  await dashboard.request("subscribe");
  return {
    rpc,
    events: () => events,
    async close() {
      dashboard.close();
      await rpc.close();
    },
  };
}

/** Counts calls that did not come back as a plain success (a denial would skew figures). */
export class FailureCount {
  count = 0;
}

function call(rpc: RpcChild, index: number, failures: FailureCount): Promise<void> {
  return rpc.request("tools/call", ROUND_TRIP_CALLS[index % ROUND_TRIP_CALLS.length]).then(
    (response) => {
      if (!callSucceeded(response)) failures.count++;
    },
  );
}

/** p50 and p99 in µs of `calls` sequential round trips, after `warmup` uncounted ones. */
export async function latencyRun(
  peer: Peer,
  options: { warmup: number; calls: number; failures: FailureCount },
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < options.warmup; i++) await call(peer.rpc, i, options.failures);
  const samples = new Array<number>(options.calls);
  for (let i = 0; i < options.calls; i++) {
    const started = performance.now();
    await call(peer.rpc, i, options.failures);
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
export async function pipelined(rpc: RpcChild, options: PipelineOptions): Promise<number> {
  const { calls, inFlight, failures } = options;
  let next = 0;
  const lane = async () => {
    while (next < calls) await call(rpc, next++, failures);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, calls) }, lane));
  return performance.now() - started;
}

export interface Throughput {
  callsPerS: number;
  /** CPU the process the client talks to spent per call (the server's own excluded). */
  cpuUsPerCall: number;
  /** That process's peak RSS so far, MiB. */
  rssMb: number;
}

/** Calls per second with `inFlight` calls pipelined, after a pipelined warm-up. */
export async function throughputRun(
  peer: Peer,
  options: PipelineOptions & { warmup: number },
): Promise<Throughput> {
  const { rpc } = peer;
  await pipelined(rpc, { ...options, calls: options.warmup });
  const before = cpuSnapshot(rpc.pid);
  const ms = await pipelined(rpc, options);
  const cpuUs = cpuUsBetween(before, cpuSnapshot(rpc.pid));
  return {
    callsPerS: options.calls / (ms / 1000),
    cpuUsPerCall: cpuUs / options.calls,
    rssMb: readRss(rpc.pid).peakMb,
  };
}

export interface Startup {
  /** From spawn to `initialize` answered. */
  initializeMs: number;
  /** From spawn to the first `tools/call` (sent right after `initialize`) answered. */
  firstCallMs: number;
}

/** Medians over `spawns` fresh processes of `path`. */
export async function startupRun(
  path: PathName,
  spawns: number,
  scratch: Scratch,
  env: Record<string, string> = scratch.env,
): Promise<Startup> {
  const initialize: number[] = [];
  const firstCall: number[] = [];
  const failures = new FailureCount();
  for (let i = 0; i < spawns; i++) {
    const argv = path === "direct"
      ? SERVER
      : path === "byte_relay"
      ? relayArgv("byte_relay.ts")
      : proxyArgv();
    const started = performance.now();
    const rpc = RpcChild.spawn(argv[0], argv.slice(1), env);
    try {
      await rpc.initialize();
      initialize.push(performance.now() - started);
      await call(rpc, 0, failures);
      firstCall.push(performance.now() - started);
    } finally {
      await rpc.close();
    }
  }
  if (failures.count > 0) throw new Error(`The first call failed on ${path}`);
  return { initializeMs: median(initialize), firstCallMs: median(firstCall) };
}

/**
 * A fresh proxy's peak RSS (VmHWM, MiB) after `first` pipelined calls, and its growth in
 * percent by `total` calls; also its peak once `initialize` is answered, before any call.
 * `deno run` is the proxy process itself, so its pid is the proxy's.
 */
export async function memoryRun(
  scratch: Scratch,
  options: { first: number; total: number; inFlight: number; failures: FailureCount },
): Promise<{ rssMb: number; growthPct: number; startMb: number }> {
  const { first, total, inFlight, failures } = options;
  const proxy = await startPeer("proxied", scratch);
  const pid = proxy.rpc.pid;
  try {
    const startMb = readRss(pid).peakMb;
    await pipelined(proxy.rpc, { calls: first, inFlight, failures });
    const early = readRss(pid).peakMb;
    await pipelined(proxy.rpc, { calls: total - first, inFlight, failures });
    const late = readRss(pid).peakMb;
    return { rssMb: early, growthPct: (late - early) / early * 100, startMb };
  } finally {
    await proxy.close();
  }
}
