/**
 * The demo's ear on the proxy's control socket: the calls it holds for a human and what became
 * of them, for the headless lines and the summary. Best effort: a socket that never answers
 * leaves the report without them, and the demo goes on.
 */
import { ControlClient } from "../control/control_client.ts";
import type { ApprovalNotice } from "../control/protocol.ts";

export interface ApprovalWatchOptions {
  /** Every `approval` notification, in order. */
  onNotice: (notice: ApprovalNotice) => void;
  /** How long to keep trying while the proxy starts (15 s). */
  connectWithinMs?: number;
}

const RETRY_MS = 100;

export class ApprovalWatch {
  readonly #pending = new Set<string>();
  readonly #stop = new AbortController();
  readonly #drained = new Set<() => void>();
  #client: ControlClient | null = null;
  /** The connection ended (the proxy exited): nothing more will be heard. */
  #ended = false;
  readonly done: Promise<void>;

  constructor(path: string, options: ApprovalWatchOptions) {
    this.done = this.#run(path, options).catch(() => {});
  }

  /** Calls held and not yet settled, as far as the watch heard. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Waits until every held call it heard of is settled, or `timeoutMs`, then closes. */
  async close(timeoutMs = 1_000): Promise<void> {
    if (this.#pending.size > 0 && this.#client && !this.#ended) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#drained.add(resolve);
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
    }
    this.#stop.abort();
    this.#client?.close();
    await this.done;
  }

  async #run(path: string, options: ApprovalWatchOptions): Promise<void> {
    const deadline = Date.now() + (options.connectWithinMs ?? 15_000);
    while (!this.#stop.signal.aborted) {
      try {
        this.#client = await ControlClient.connect(path, { timeoutMs: 2_000 });
        break;
      } catch {
        if (Date.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
    const client = this.#client;
    if (!client) return;
    if (this.#stop.signal.aborted) return client.close();
    client.onEvent((event) => {
      if (event.method !== "approval") return;
      const notice = event.params;
      if (notice.event === "requested") this.#pending.add(notice.approval.id);
      else this.#pending.delete(notice.approval.id);
      options.onNotice(notice);
      if (this.#pending.size === 0) { for (const resolve of this.#drained) resolve(); }
    });
    await client.request("subscribe");
    await client.closed;
    this.#ended = true;
    for (const resolve of this.#drained) resolve();
  }
}
