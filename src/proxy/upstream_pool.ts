/**
 * The upstream processes (or connections) that serve modern, stateless requests over HTTP. Each
 * is an `UpstreamSide` shared by many requests at once; a request goes to the member with the
 * fewest requests in flight. A member that exits is replaced (after a pause that grows while
 * members keep dying), so one crash does not take the service down.
 */
import type { Upstream } from "../transports/upstream.ts";
import type { ProxyLogger } from "./upstream_link.ts";
import { UpstreamSide } from "./upstream_side.ts";

export interface UpstreamPoolOptions {
  size: number;
  start: () => Upstream;
  maxBytes: number;
  upstreamTimeoutMs?: number;
  log: ProxyLogger & { info(message: string): void };
}

interface Member {
  upstream: Upstream;
  side: UpstreamSide;
}

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;

export class UpstreamPool {
  readonly #options: UpstreamPoolOptions;
  readonly #members: (Member | null)[];
  #restartDelay = RESTART_MIN_MS;
  #closed = false;

  constructor(options: UpstreamPoolOptions) {
    this.#options = options;
    this.#members = Array.from({ length: options.size }, () => null);
  }

  /** Members up and running. */
  get live(): number {
    return this.#members.filter((member) => member && member.side.link.ended === null).length;
  }

  /** The side a new request should use; starts members on first use. */
  pick(): UpstreamSide {
    let best: Member | null = null;
    for (let i = 0; i < this.#members.length; i++) {
      const member = this.#members[i] ?? this.#start(i);
      if (member.side.link.ended !== null) continue;
      if (!best || member.side.link.size < best.side.link.size) best = member;
    }
    if (best) return best.side;
    // All members are down and restarting: the request fails like one to a dead server.
    return this.#members[0]!.side;
  }

  /** Every live member's side (to reach every client's streams). */
  sides(): UpstreamSide[] {
    return this.#members.flatMap((member) => member ? [member.side] : []);
  }

  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#members.map((member) => member?.upstream.shutdown(graceMs)));
  }

  #start(index: number): Member {
    const { log, maxBytes } = this.#options;
    const upstream = this.#options.start();
    const side = new UpstreamSide({
      channel: upstream.channel,
      log,
      upstreamTimeoutMs: this.#options.upstreamTimeoutMs,
      shared: true,
    });
    const member: Member = { upstream, side };
    this.#members[index] = member;
    const started = Date.now();
    upstream.receive({
      line: (line) => side.link.fromUpstream(line),
      oversize: (line) => side.link.oversize(line),
      end: () => {},
      error: (error) => log.error(`Handling a pooled server's output failed: ${error.stack}`),
    }, maxBytes);
    upstream.exited.then(async (code) => {
      side.link.end(code);
      await upstream.cleanUp(1_000);
      if (this.#closed) return;
      // A member that lived a while restarts at once; one that keeps dying, ever more slowly.
      this.#restartDelay = Date.now() - started > RESTART_MAX_MS
        ? RESTART_MIN_MS
        : Math.min(this.#restartDelay * 2, RESTART_MAX_MS);
      log.warn(
        `A pooled MCP server exited (code ${code}); restarting it in ${this.#restartDelay} ms`,
      );
      setTimeout(() => {
        if (!this.#closed && this.#members[index] === member) this.#start(index);
      }, this.#restartDelay);
    });
    return member;
  }
}
