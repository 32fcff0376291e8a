/** Shared code for the demo tests: `intercept demo` run as a real process, and its processes. */
import { DEMO_POLICY } from "../../src/commands/demo.ts";
import { interceptArgv, interceptCommand, ROOT } from "../e2e/intercept_command.ts";

export { ROOT };
/** A policy of our own, for `--policy`. */
export const CUSTOM_POLICY = `${ROOT}test/demo/custom_policy.yaml`;

/** The proxy in front of the demo server, under the demo's bundled policy. */
export function proxyCommand(): string[] {
  return interceptArgv(["-c", DEMO_POLICY, "--", ...interceptArgv(["demo", "--server"])]);
}

/** Our environment without INTERCEPT_*, and a marker every process of the run inherits. */
export function markedEnv(marker: string): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("INTERCEPT_")),
  );
  return { ...env, DEMO_TEST_MARKER: marker };
}

/** `intercept demo ARGS...` with piped output and a fresh marker. */
export function spawnDemo(args: string[]): { child: Deno.ChildProcess; marker: string } {
  const marker = crypto.randomUUID();
  const { command, args: argv } = interceptCommand(["demo", ...args]);
  const child = new Deno.Command(command, {
    args: argv,
    cwd: ROOT,
    env: markedEnv(marker),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, marker };
}

/** Runs `intercept demo ARGS...` to completion. */
export async function runDemo(args: string[]) {
  const { child, marker } = spawnDemo(args);
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    marker,
  };
}

/** Whether processes can be inspected through /proc (Linux); elsewhere orphan checks are skipped. */
export const HAS_PROC = Deno.build.os === "linux";

/** Pids of live processes whose environment holds `marker` ([] without /proc, said on stderr). */
export async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  if (!HAS_PROC) {
    console.error("No /proc here: the check for processes left behind is skipped");
    return pids;
  }
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const environ = await Deno.readTextFile(`/proc/${entry.name}/environ`);
      if (environ.includes(`DEMO_TEST_MARKER=${marker}`)) pids.push(Number(entry.name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/** Waits (up to `timeoutMs`) until no process holds `marker`; returns those still left. */
export async function leftBehind(marker: string, timeoutMs = 3_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await processesWith(marker);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
