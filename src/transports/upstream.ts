/**
 * The upstream MCP server as the proxy sees it, whichever way it is reached: a child process
 * speaking stdio (`-- CMD`), or a URL (`--upstream URL`). Lines go up through `channel`; what
 * the server sends comes back through `receive`.
 */
import type { LineChannelHandlers } from "./stdio.ts";
import type { LineChannel } from "./stdio.ts";

export interface UpstreamChannel extends LineChannel {
  /** Characters queued and not yet sent: what the reader of the other side may wait on. */
  readonly backlog: number;
  /** Starts sending what is queued now rather than at the end of the turn. */
  flush(): void;
}

export interface Upstream {
  /** What status and logs show: the command line, or the URL. */
  readonly description: readonly string[];
  /** The process id, for a child process. */
  readonly pid: number | null;
  readonly channel: UpstreamChannel;
  /** Delivers what the server sends, line by line, until it ends; resolves then. */
  receive(handlers: LineChannelHandlers, maxBytes: number): Promise<void>;
  /** The exit code once the upstream is gone (128 + n for a signal; a URL upstream: its end). */
  readonly exited: Promise<number>;
  /** The client is done: end gently (close stdin; end the HTTP session), harder after `graceMs`. */
  shutdown(graceMs: number): Promise<number>;
  /** Ends it now: SIGTERM, SIGKILL after `graceMs` (a URL upstream: closes at once). */
  terminate(graceMs: number): Promise<number>;
  /** Passes a signal on (the process group; a URL upstream ends on SIGINT and SIGTERM). */
  signal(signal: Deno.Signal): void;
  /** After it exited: ends what it left behind (a process group's other members). */
  cleanUp(graceMs: number): Promise<void>;
}
