/**
 * The paths the HTTP benchmark compares, all in front of the same minimal stdio server: the
 * server alone over stdio (the reference), `intercept --listen`, and the two stdio→HTTP bridges
 * users pick today, each started fresh, its sessions opened before anything is measured.
 */
import { RUNTIME_V8_FLAGS } from "../runtime_flags.ts";
import { BENCH_CALLS, type CallOutcome, LegacySession, ModernClient } from "./http_client.ts";
import type { Bridge } from "./npm_bridges.ts";
import {
  freePort,
  POLL_MS,
  ProxyProcess,
  START_TIMEOUT_MS,
  waitForPort,
  withTimeout,
} from "./proxy_process.ts";
import { callSucceeded, RpcChild } from "./rpc_client.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const DENO = Deno.execPath();
export const SERVER = [DENO, "run", "-A", `${ROOT}scripts/bench/minimal_server.ts`];
export const POLICY = `${ROOT}scripts/bench/kafka_like_policy.yaml`;
/** Servers intercept keeps for 2026-07-28 requests (its default; the machine has 2 cores). */
export const POOL_SIZE = 2;

/** One session (legacy) or client (modern, direct): makes calls one at a time. */
export interface Lane {
  call(index: number): Promise<CallOutcome>;
  close(): Promise<void>;
}

/** A path started and ready: its lanes open, where its CPU is, how to end it. */
export interface RunningPath {
  readonly lanes: readonly Lane[];
  /** The proxy or bridge process (its own CPU, children excluded); null for the direct path. */
  readonly proxyPid: number | null;
  /** Processes below which the servers run; for the direct path, the servers themselves. */
  readonly serverRoots: readonly number[];
  readonly serverRootsAreServers: boolean;
  /** ms from spawn to accepting requests (0 for direct). */
  readonly startMs: number;
  /** ms to open every lane (sessions: each with its server spawned, where the path does). */
  readonly setupMs: number;
  /** intercept's own count of `tools/call` decisions (from /metrics), else null. */
  decisions(): Promise<{ allowed: number; total: number } | null>;
  stop(): Promise<void>;
}

export type PathKind = "direct" | "intercept" | "supergateway" | "mcp-proxy";
export type Era = "stdio" | "legacy" | "modern";

export interface PathSpec {
  readonly id: string;
  readonly kind: PathKind;
  readonly era: Era;
  readonly label: string;
}

export async function startPath(
  spec: PathSpec,
  lanes: number,
  bridge: Bridge | null,
): Promise<RunningPath> {
  if (spec.kind === "direct") return await startDirect(lanes);
  if (spec.kind === "intercept") return await startIntercept(spec.era, lanes);
  if (!bridge) throw new Error(`${spec.label}: the bridge was not resolved`);
  return await startBridge(spec, lanes, bridge);
}

async function startDirect(count: number): Promise<RunningPath> {
  const started = performance.now();
  const children = await Promise.all(Array.from({ length: count }, async () => {
    const [command, ...args] = SERVER;
    const child = RpcChild.spawn(command, args);
    await child.initialize();
    return child;
  }));
  const setupMs = performance.now() - started;
  const lanes = children.map((child): Lane => ({
    call: async (index) => ({
      ok: callSucceeded(await child.request("tools/call", BENCH_CALLS[index % BENCH_CALLS.length])),
    }),
    close: () => child.close(),
  }));
  return {
    lanes,
    proxyPid: null,
    serverRoots: children.map((child) => child.pid),
    serverRootsAreServers: true,
    startMs: 0,
    setupMs,
    decisions: () => Promise.resolve(null),
    stop: async () => {
      await Promise.all(lanes.map((lane) => lane.close()));
    },
  };
}

async function openLanes(url: string, era: Era, count: number): Promise<Lane[]> {
  if (era === "modern") return Array.from({ length: count }, () => new ModernClient(url));
  return await Promise.all(Array.from({ length: count }, () => LegacySession.open(url)));
}

async function startIntercept(era: Era, lanes: number): Promise<RunningPath> {
  const started = performance.now();
  const proxy = new ProxyProcess("intercept", DENO, [
    "run",
    `--v8-flags=${RUNTIME_V8_FLAGS}`,
    "-A",
    `${ROOT}src/main.ts`,
    "-c",
    POLICY,
    "--listen",
    "127.0.0.1:0",
    "--max-sessions",
    String(Math.max(100, lanes)),
    "--pool-size",
    String(POOL_SIZE),
    "--",
    ...SERVER,
  ]);
  const [, url] = await withTimeout(
    proxy.waitForStderr(/Serving MCP at (http:\/\/\S+\/mcp)/),
    proxy,
  );
  if (era === "modern") await waitUntilReady(`${url.replace(/\/mcp$/, "")}/readyz`, proxy);
  const startMs = performance.now() - started;
  return await withLanes(proxy, url, era, lanes, startMs, () => interceptDecisions(url));
}

async function startBridge(spec: PathSpec, lanes: number, bridge: Bridge): Promise<RunningPath> {
  const port = freePort();
  const started = performance.now();
  const proxy = new ProxyProcess(spec.label, "node", [bridge.script, ...bridge.args(port, SERVER)]);
  await withTimeout(waitForPort(port, proxy), proxy);
  const startMs = performance.now() - started;
  return await withLanes(proxy, `http://127.0.0.1:${port}/mcp`, spec.era, lanes, startMs, null);
}

async function withLanes(
  proxy: ProxyProcess,
  url: string,
  era: Era,
  count: number,
  startMs: number,
  decisions: (() => Promise<{ allowed: number; total: number }>) | null,
): Promise<RunningPath> {
  const started = performance.now();
  let lanes: Lane[];
  try {
    lanes = await openLanes(url, era, count);
  } catch (error) {
    await proxy.stop();
    throw new Error(`${proxy.label}: ${(error as Error).message}\n${proxy.tail}`);
  }
  const setupMs = performance.now() - started;
  return {
    lanes,
    proxyPid: proxy.child.pid,
    serverRoots: [proxy.child.pid],
    serverRootsAreServers: false,
    startMs,
    setupMs,
    decisions: decisions ?? (() => Promise.resolve(null)),
    stop: async () => {
      await Promise.allSettled(lanes.map((lane) => lane.close()));
      await proxy.stop();
    },
  };
}

/** Waits until intercept's pool has a server running (`/readyz` 200). */
async function waitUntilReady(url: string, proxy: ProxyProcess): Promise<void> {
  for (let tries = 0; tries < START_TIMEOUT_MS / POLL_MS; tries++) {
    const response = await fetch(url);
    await response.body?.cancel();
    if (response.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`${proxy.label}: ${url} never answered 200:\n${proxy.tail}`);
}

/** intercept's `intercept_decisions_total`, summed: allowed ones and all. */
async function interceptDecisions(url: string): Promise<{ allowed: number; total: number }> {
  const response = await fetch(url.replace(/\/mcp$/, "/metrics"));
  const text = await response.text();
  let allowed = 0;
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("intercept_decisions_total{")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    total += value;
    if (line.includes('decision="allow"')) allowed += value;
  }
  return { allowed, total };
}
