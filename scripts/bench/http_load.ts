/**
 * Timed windows of calls: each lane (a session, or a client) makes one call at a time, as an
 * agent does, until the window's end; the calls still out then are waited for and counted.
 */
import type { Lane } from "./http_paths.ts";

export interface WindowResult {
  /** Calls that made their round trip (successes and failures). */
  calls: number;
  /** Calls answered with an error, an `isError` result, or that threw. */
  failures: number;
  /** The first thrown error, to explain failures. */
  firstError: string | null;
  /** From the first call out to the last answer in. */
  ms: number;
  /** Each call's round trip in µs (only when asked for). */
  latenciesUs: number[];
}

/** Calls shared by the lanes cycle through the benchmark's calls in order. */
export async function runWindow(
  lanes: readonly Lane[],
  durationMs: number,
  options: { latencies: boolean },
): Promise<WindowResult> {
  const result: WindowResult = {
    calls: 0,
    failures: 0,
    firstError: null,
    ms: 0,
    latenciesUs: [],
  };
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async (lane: Lane) => {
    do {
      const sent = performance.now();
      try {
        const outcome = await lane.call(next++);
        if (!outcome.ok) result.failures++;
      } catch (error) {
        result.failures++;
        result.firstError ??= (error as Error).message;
      }
      if (options.latencies) result.latenciesUs.push((performance.now() - sent) * 1000);
      result.calls++;
    } while (performance.now() < deadline);
  };
  await Promise.all(lanes.map(loop));
  result.ms = performance.now() - started;
  return result;
}
