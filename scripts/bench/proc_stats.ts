/** What Linux says about a process: its memory (`/proc/<pid>/status`) and CPU time (`stat`). */

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

/** The one-minute load average: how busy the machine was besides the benchmark. */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}
