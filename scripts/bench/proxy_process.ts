/**
 * A proxy or bridge process for the HTTP benchmark: started with its stderr drained (a tail
 * kept to explain failures), waited for until it listens, stopped with SIGTERM then SIGKILL,
 * and any server it left behind ended by pid.
 */
import { descendantsOf, SERVER_SCRIPT } from "./proc_tree.ts";

/** How long a proxy may take to listen, and to exit once told to. */
export const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** Bytes of a proxy's stderr kept to explain a failure. */
const STDERR_TAIL = 4_096;

/** A proxy process, its stderr drained (a tail kept), stopped with SIGTERM then SIGKILL. */
export class ProxyProcess {
  readonly child: Deno.ChildProcess;
  readonly label: string;
  #tail = "";
  readonly #reading: Promise<void>;
  readonly #lineListeners: ((text: string) => void)[] = [];

  constructor(label: string, command: string, args: string[]) {
    this.label = label;
    this.child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#reading = this.#drain();
  }

  get tail(): string {
    return this.#tail;
  }

  /** Resolves with the first match of `pattern` in stderr; rejects when the process ends. */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (text: string) => {
        const match = pattern.exec(text);
        if (match) resolve(match);
      };
      this.#lineListeners.push(check);
      check(this.#tail);
      this.child.status.then(() =>
        reject(new Error(`${this.label} exited before it was ready:\n${this.#tail}`))
      );
    });
  }

  async #drain(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.child.stderr) {
      this.#tail = (this.#tail + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL);
      for (const listener of this.#lineListeners) listener(this.#tail);
    }
  }

  /** SIGTERM, then SIGKILL after a timeout; then ends any server it left behind. */
  async stop(): Promise<void> {
    const below = descendantsOf(this.child.pid);
    signal(this.child, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), STOP_TIMEOUT_MS);
    });
    if (await Promise.race([this.child.status, late]) === "late") signal(this.child, "SIGKILL");
    clearTimeout(timer);
    await this.child.status;
    await this.#reading;
    endLeftovers(below);
  }
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // Already exited.
  }
}

/** Kills, by pid, the benchmark's own servers still running after their proxy exited. */
function endLeftovers(pids: readonly number[]): void {
  for (const pid of pids) {
    let cmdline: string;
    try {
      cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    } catch {
      continue; // gone, as it should be
    }
    if (!cmdline.includes(SERVER_SCRIPT)) continue; // the pid was reused
    console.error(`bench: a server (pid ${pid}) outlived its proxy; ending it`);
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
}

export async function withTimeout<T>(promise: Promise<T>, proxy: ProxyProcess): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${proxy.label} was not ready in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    await proxy.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A port free now (the bridges take a port number, not 0); a race with others is unlikely. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export const POLL_MS = 50;

/**
 * Waits until `port` accepts a connection. The bridges log nothing once they listen (with
 * their logging off, as measured), so this polls, until the process exits or the caller's
 * timeout.
 */
export async function waitForPort(port: number, proxy: ProxyProcess): Promise<void> {
  let exited = false;
  proxy.child.status.then(() => exited = true);
  while (!exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  throw new Error(`${proxy.label} exited before it listened:\n${proxy.tail}`);
}
