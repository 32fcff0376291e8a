/**
 * Reloads asked for by a file change or SIGHUP. One asked for while the first policy still
 * loads is not lost: it runs once the runtime exists (the file may have changed after the first
 * load read it).
 */
import type { Logger } from "../cli/log.ts";

export interface Reloadable {
  reload(): Promise<{ source: string }>;
}

export class ReloadScheduler {
  #target: Reloadable | null = null;
  #deferred: string | null = null;

  constructor(readonly log: Pick<Logger, "info" | "error">) {}

  /** Reloads now, or once `attach` is called when the runtime does not exist yet. */
  request(why: string): void {
    if (!this.#target) {
      this.#deferred = why;
      return;
    }
    this.#target.reload().then(
      (result) => this.log.info(`Policy reloaded (${why}) from ${result.source}`),
      (error: Error) =>
        this.log.error(`Policy reload (${why}) refused, the old one stays:\n${error.message}`),
    );
  }

  /** The runtime is in: a reload asked for meanwhile runs now. */
  attach(target: Reloadable): void {
    this.#target = target;
    const deferred = this.#deferred;
    this.#deferred = null;
    if (deferred !== null) this.request(deferred);
  }
}
