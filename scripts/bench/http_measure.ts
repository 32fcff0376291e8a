/**
 * One run of one path: start it, open its sessions (not measured), warm it up, then a window of
 * sequential calls on one session (latency) and a window with every session calling at once
 * (throughput), reading the proxy's own CPU and its servers' around each window.
 */
import { readCpuMs, readRss } from "./proc_stats.ts";
import { readTree, serverCount, treeCpuMs } from "./proc_tree.ts";
import { runWindow, type WindowResult } from "./http_load.ts";
import { type PathSpec, type RunningPath, startPath } from "./http_paths.ts";
import type { Bridge } from "./npm_bridges.ts";
import { percentile } from "./stats.ts";

export interface Plan {
  runs: number;
  /** Sessions (legacy) or clients (modern, direct) calling at once in the throughput window. */
  sessions: number;
  warmupMs: number;
  latencyMs: number;
  throughputMs: number;
}

/** Below this much CPU in a window (5 clock ticks), a per-call figure is not given. */
export const MIN_CPU_MS = 50;

export interface PathRun {
  startMs: number;
  setupMs: number;
  p50Us: number;
  p99Us: number;
  callsPerS1: number;
  /** µs of the proxy's own CPU per call, one session; null for direct or too short a window. */
  proxyCpuUs1: number | null;
  callsPerSN: number;
  proxyCpuUsN: number | null;
  /** µs of CPU per call of the servers below the path (all of them), N sessions. */
  serversCpuUsN: number | null;
  /** Server processes running at the end of the N-session window. */
  servers: number;
  /** The proxy's peak resident memory (VmHWM) after the N-session window, MiB; null for direct. */
  proxyPeakMb: number | null;
  calls: number;
  failures: number;
  firstError: string | null;
  /** intercept's decisions over the whole run (warm-up included), else null. */
  decisions: { allowed: number; total: number } | null;
}

export async function measurePath(
  spec: PathSpec,
  plan: Plan,
  bridge: Bridge | null,
): Promise<PathRun> {
  const path = await startPath(spec, plan.sessions, bridge);
  try {
    const warm = await runWindow(path.lanes, plan.warmupMs, { latencies: false });
    const cpu1 = proxyCpu(path);
    const one = await runWindow(path.lanes.slice(0, 1), plan.latencyMs, { latencies: true });
    const proxyCpuUs1 = perCall(proxyCpu(path), cpu1, one.calls);
    const cpuN = proxyCpu(path);
    const treeBefore = readTree(path.serverRoots, path.serverRootsAreServers);
    const many = await runWindow(path.lanes, plan.throughputMs, { latencies: false });
    const treeAfter = readTree(path.serverRoots, path.serverRootsAreServers);
    const proxyCpuUsN = perCall(proxyCpu(path), cpuN, many.calls);
    const serversMs = treeCpuMs(treeBefore, treeAfter);
    const windows: WindowResult[] = [warm, one, many];
    return {
      startMs: path.startMs,
      setupMs: path.setupMs,
      p50Us: percentile(one.latenciesUs, 50),
      p99Us: percentile(one.latenciesUs, 99),
      callsPerS1: one.calls / (one.ms / 1000),
      proxyCpuUs1,
      callsPerSN: many.calls / (many.ms / 1000),
      proxyCpuUsN,
      serversCpuUsN: serversMs >= MIN_CPU_MS ? serversMs * 1000 / many.calls : null,
      servers: serverCount(treeAfter),
      proxyPeakMb: path.proxyPid === null ? null : readRss(path.proxyPid).peakMb,
      calls: sum(windows.map((w) => w.calls)),
      failures: sum(windows.map((w) => w.failures)),
      firstError: windows.find((w) => w.firstError)?.firstError ?? null,
      decisions: await path.decisions(),
    };
  } finally {
    await path.stop();
  }
}

function proxyCpu(path: RunningPath): number | null {
  return path.proxyPid === null ? null : readCpuMs(path.proxyPid);
}

function perCall(after: number | null, before: number | null, calls: number): number | null {
  if (after === null || before === null) return null;
  const ms = after - before;
  return ms >= MIN_CPU_MS ? ms * 1000 / calls : null;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
