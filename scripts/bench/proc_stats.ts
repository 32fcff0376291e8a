/** What Linux says about a process: its memory (`/proc/<pid>/status`) and CPU time (`stat`). */
import process from "node:process";

/** Peak (VmHWM) and current (VmRSS) resident set size, in MiB. */
export function readRss(pid: number): { peakMb: number; currentMb: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!match) throw new Error(`Cannot read ${field} of process ${pid}`);
    return Number(match[1]);
  };
  return { peakMb: kib("VmHWM") / 1024, currentMb: kib("VmRSS") / 1024 };
}

const CLOCK_TICKS_PER_S = 100;

/** User plus system CPU time the process has used, in ms (10 ms resolution). */
export function readCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS_PER_S;
}

/** A process's CPU time at one moment: per thread in ns (schedstat), and in all in ms. */
export interface CpuSnapshot {
  readonly threadsNs: ReadonlyMap<string, number>;
  readonly totalMs: number;
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  const threadsNs = new Map<string, number>();
  try {
    for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const text = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/schedstat`);
        threadsNs.set(entry.name, Number(text.split(" ")[0]));
      } catch {
        // The thread ended while we looked.
      }
    }
  } catch {
    // No schedstat (another kernel): the coarse total still serves.
  }
  return { threadsNs, totalMs: readCpuMs(pid) };
}

/**
 * CPU µs the process used between two snapshots: to the ns from the threads' schedstat when
 * every thread of the first is still there, else from utime + stime (10 ms resolution).
 */
export function cpuUsBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let ns = 0;
  for (const [thread, at] of after.threadsNs) ns += at - (before.threadsNs.get(thread) ?? 0);
  const precise = before.threadsNs.size > 0 &&
    [...before.threadsNs.keys()].every((thread) => after.threadsNs.has(thread));
  return precise ? ns / 1000 : (after.totalMs - before.totalMs) * 1000;
}

/**
 * This process's own CPU time in ms, to the µs (getrusage): other work on a shared machine
 * does not count, as it does in wall time.
 */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The one-minute load average: how busy the machine was besides the benchmark. */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

/** The CPU's model name, as /proc/cpuinfo says it. */
export function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The commit measured, and whether src/ differs from it. */
export async function sourceRevision(): Promise<string> {
  const root = new URL("../../", import.meta.url);
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  };
  try {
    const head = await git("rev-parse", "--short", "HEAD");
    if (!head) return "unknown (not a git checkout)";
    const dirty = await git("status", "--porcelain", "--", "src");
    return `git ${head}${dirty ? " + uncommitted changes in src/" : ""}`;
  } catch {
    return "unknown (no git)";
  }
}
