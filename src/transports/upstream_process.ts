/**
 * The upstream MCP server as a child process in its own process group, so that signals reach
 * everything it starts (`npx` → `node`) and nothing is left behind.
 */
import { StreamChannel } from "./stdio.ts";

export interface SpawnOptions {
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  onWriteError?: (error: Error) => void;
}

export class UpstreamStartError extends Error {
  override name = "UpstreamStartError";
}

export class UpstreamProcess {
  readonly channel: StreamChannel;
  readonly stdout: ReadableStream<Uint8Array>;
  /** The exit code; 128 + signal number when a signal ended it. */
  readonly exited: Promise<number>;
  #exitCode: number | null = null;

  private constructor(readonly child: Deno.ChildProcess, onWriteError: (error: Error) => void) {
    this.channel = new StreamChannel(child.stdin, onWriteError);
    this.stdout = child.stdout;
    this.exited = child.status.then((status) => this.#exitCode = status.code);
  }

  static spawn(options: SpawnOptions): UpstreamProcess {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(options.command, {
        args: [...options.args],
        env: options.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
        detached: true,
      }).spawn();
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "command not found"
        : (error as Error).message;
      throw new UpstreamStartError(`Cannot start upstream "${options.command}": ${reason}`);
    }
    return new UpstreamProcess(child, options.onWriteError ?? (() => {}));
  }

  get pid(): number {
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exitCode === null;
  }

  /** Sends `signal` to the upstream's whole process group. */
  signal(signal: Deno.Signal): void {
    if (!this.running) return;
    try {
      Deno.kill(-this.child.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // Gone between the check and the kill.
      }
    }
  }

  /**
   * Closes the upstream's stdin and waits for it to exit; after `graceMs` sends SIGTERM, and
   * SIGKILL after as long again. Returns the exit code.
   */
  async shutdown(graceMs: number): Promise<number> {
    await this.channel.close();
    if (await this.#exitsWithin(graceMs)) return this.exited;
    this.signal("SIGTERM");
    if (await this.#exitsWithin(graceMs)) return this.exited;
    this.signal("SIGKILL");
    return this.exited;
  }

  /** Ends the upstream now: SIGTERM to its group, SIGKILL after `graceMs`. */
  async terminate(graceMs: number): Promise<number> {
    this.signal("SIGTERM");
    if (await this.#exitsWithin(graceMs)) return this.exited;
    this.signal("SIGKILL");
    return this.exited;
  }

  async #exitsWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
