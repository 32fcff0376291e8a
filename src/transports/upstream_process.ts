/**
 * The upstream MCP server as a child process in its own process group, so that signals reach
 * everything it starts (`npx` → `node`) and nothing is left behind.
 */
import { settlesWithin } from "./settles_within.ts";
import { type LineChannelHandlers, pumpLines, StreamChannel } from "./stdio.ts";
import type { Upstream } from "./upstream.ts";

export interface SpawnOptions {
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  onWriteError?: (error: Error) => void;
}

export class UpstreamStartError extends Error {
  override name = "UpstreamStartError";
}

export class UpstreamProcess implements Upstream {
  readonly channel: StreamChannel;
  readonly stdout: ReadableStream<Uint8Array>;
  /** The exit code; 128 + signal number when a signal ended it. */
  readonly exited: Promise<number>;
  #exitCode: number | null = null;

  private constructor(
    readonly child: Deno.ChildProcess,
    readonly description: readonly string[],
    onWriteError: (error: Error) => void,
  ) {
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
    return new UpstreamProcess(
      child,
      [options.command, ...options.args],
      options.onWriteError ?? (() => {}),
    );
  }

  get pid(): number {
    return this.child.pid;
  }

  receive(handlers: LineChannelHandlers, maxBytes: number): Promise<void> {
    return pumpLines(this.stdout, maxBytes, handlers);
  }

  cleanUp(graceMs: number): Promise<void> {
    return this.reapGroup(graceMs);
  }

  get running(): boolean {
    return this.#exitCode === null;
  }

  /** Sends `signal` to the upstream's whole process group. */
  signal(signal: Deno.Signal): void {
    // The group is signalled even after its leader exited: children it left may remain.
    try {
      Deno.kill(-this.child.pid, signal);
    } catch {
      if (!this.running) return; // No group left to signal.
      try {
        this.child.kill(signal);
      } catch {
        // Gone between the two kills.
      }
    }
  }

  /**
   * After the server exited: ends whatever it left running in its group (SIGTERM, then
   * SIGKILL after `graceMs`), so that no orphan outlives the proxy.
   */
  async reapGroup(graceMs: number): Promise<void> {
    if (!this.#groupAlive()) return;
    this.signal("SIGTERM");
    const deadline = Date.now() + graceMs;
    while (this.#groupAlive() && Date.now() < deadline) await delay(20);
    if (this.#groupAlive()) this.signal("SIGKILL");
  }

  #groupAlive(): boolean {
    try {
      Deno.kill(-this.child.pid, "SIGCONT"); // a harmless probe: throws when the group is empty
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Closes the upstream's stdin and waits for it to exit; after `graceMs` sends SIGTERM, and
   * SIGKILL after as long again. Returns the exit code.
   */
  async shutdown(graceMs: number): Promise<number> {
    // A server that stopped reading must not hold the close up beyond the grace time.
    await settlesWithin(this.channel.close(), graceMs);
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

  #exitsWithin(ms: number): Promise<boolean> {
    return settlesWithin(this.exited, ms);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
