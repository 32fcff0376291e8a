/**
 * CPU time of a process's descendants (the MCP servers a proxy or bridge spawned), from
 * `/proc`: what they used between two readings, counting those that started or ended in
 * between. The process's own time is `readCpuMs` (proc_stats.ts); this is everything below it.
 */

const CLOCK_TICKS_PER_S = 100;
/** How the benchmark's server is recognised among a proxy's descendants. */
export const SERVER_SCRIPT = "minimal_server.ts";

/** utime+stime of the process itself and cutime+cstime of its reaped children, in ms. */
export interface StatTimes {
  ownMs: number;
  reapedMs: number;
  /** The process is the benchmark's server (its command line names minimal_server.ts). */
  server: boolean;
}

function readStatTimes(pid: number): StatTimes | null {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null; // ended between listing and reading
  }
  // Fields after the parenthesised command name: utime, stime, cutime, cstime are 14th–17th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ms = (index: number) => Number(fields[index]) * 1000 / CLOCK_TICKS_PER_S;
  return { ownMs: ms(11) + ms(12), reapedMs: ms(13) + ms(14), server: isServer(pid) };
}

function isServer(pid: number): boolean {
  try {
    // An argument that is the script: `deno run -A …/minimal_server.ts`, not `sh -c '…'`.
    const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    return args.some((arg) => arg.endsWith(`/${SERVER_SCRIPT}`));
  } catch {
    return false;
  }
}

/** The children of `pid` (all its threads'), from `/proc/PID/task/TID/children`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) { for (const child of text.split(" ")) children.push(Number(child)); }
    }
  } catch {
    // The process ended: it has no children left to list.
  }
  return children;
}

/** Every live descendant of `pid`, at most `limit` of them (a bound on the walk). */
export function descendantsOf(pid: number, limit = 10_000): number[] {
  const found: number[] = [];
  const queue = childrenOf(pid);
  while (queue.length > 0 && found.length < limit) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...childrenOf(next));
  }
  return found;
}

/** A reading of the CPU a process's descendants have used: live ones by pid, and the reaped. */
export interface TreeReading {
  /** Own CPU ms of each live descendant (reaped grandchildren are inside their parent's). */
  readonly live: ReadonlyMap<number, StatTimes>;
  /** CPU ms of the root's children that ended and were reaped, with their own reaped ones. */
  readonly reapedMs: number;
}

/**
 * Reads the CPU of every descendant of `roots`; the roots' own time counts only when
 * `includeRoots` (the direct path's roots are the servers; a proxy is not its servers).
 */
export function readTree(roots: readonly number[], includeRoots: boolean): TreeReading {
  const live = new Map<number, StatTimes>();
  let reapedMs = 0;
  for (const root of roots) {
    const times = readStatTimes(root);
    if (times && includeRoots) live.set(root, times);
    else reapedMs += times?.reapedMs ?? 0;
    for (const pid of descendantsOf(root)) {
      const times = readStatTimes(pid);
      if (times) live.set(pid, times);
    }
  }
  return { live, reapedMs };
}

/**
 * CPU ms the descendants used from `before` to `after`. A process that ended in between was
 * reaped by its parent: its whole time moved into that parent's reaped total, so its time at
 * `before` is taken off again; a process that started in between counts from zero.
 */
export function treeCpuMs(before: TreeReading, after: TreeReading): number {
  let ms = after.reapedMs - before.reapedMs;
  for (const [pid, times] of after.live) {
    const earlier = before.live.get(pid);
    ms += times.ownMs + times.reapedMs - (earlier ? earlier.ownMs + earlier.reapedMs : 0);
  }
  for (const [pid, times] of before.live) {
    if (!after.live.has(pid)) ms -= times.ownMs + times.reapedMs;
  }
  return ms;
}

/** How many of the processes read are the benchmark's servers (not shells, not others). */
export function serverCount(reading: TreeReading): number {
  let count = 0;
  for (const times of reading.live.values()) if (times.server) count++;
  return count;
}
