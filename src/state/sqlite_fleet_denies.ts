/** The fleet's live denies in the SQLite state file: a table, and a version in `meta`. */
import type { DatabaseSync } from "node:sqlite";
import {
  checkDenyCount,
  checkedDeny,
  type FleetDeny,
  type FleetDenyList,
  type FleetDenyStore,
} from "./fleet_denies.ts";
import { MAX_LIVE_DENIES } from "./live_denies.ts";
import { isBusy, retryWhileBusy, transaction } from "./sqlite_transaction.ts";

export class SqliteFleetDenies implements FleetDenyStore {
  constructor(readonly db: DatabaseSync, readonly timeoutMs: number) {}

  version(): Promise<string> {
    return this.#read(() => this.#version());
  }

  list(): Promise<FleetDenyList> {
    return this.#read(() => {
      // One snapshot: the version and the rows it stands for.
      this.db.exec("BEGIN");
      try {
        const version = this.#version();
        const rows = this.db.prepare("SELECT pattern, reason, by, at FROM denies ORDER BY at")
          .all();
        checkDenyCount(rows.length, "The state file");
        const denies = rows.map((row, i) => checkedDeny({ ...row }, `fleet deny ${i + 1}`));
        return { version, denies };
      } finally {
        this.db.exec("COMMIT");
      }
    });
  }

  set(deny: FleetDeny): Promise<void> {
    return this.#write(() => {
      const exists = this.db.prepare("SELECT 1 FROM denies WHERE pattern = ?").get(deny.pattern);
      const count = Number(this.db.prepare("SELECT count(*) AS n FROM denies").get()!.n);
      if (!exists && count >= MAX_LIVE_DENIES) {
        throw new RangeError(
          `Cannot deny "${deny.pattern}" fleet-wide: ${MAX_LIVE_DENIES} fleet denies are in ` +
            `force already`,
        );
      }
      this.db.prepare("INSERT OR REPLACE INTO denies VALUES (?, ?, ?, ?)")
        .run(deny.pattern, deny.reason, deny.by, deny.at);
      this.#bump();
    });
  }

  delete(pattern: string): Promise<boolean> {
    return this.#write(() => {
      const { changes } = this.db.prepare("DELETE FROM denies WHERE pattern = ?").run(pattern);
      if (Number(changes) > 0) this.#bump();
      return Number(changes) > 0;
    });
  }

  #version(): string {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'denies'").get();
    return String(row?.value ?? "0");
  }

  #bump(): void {
    this.db.exec(
      "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) " +
        "WHERE key = 'denies'",
    );
  }

  #read<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      if (!isBusy(error)) return Promise.reject(error);
      return retryWhileBusy(work, this.timeoutMs * 4);
    }
  }

  #write<T>(work: () => T): Promise<T> {
    return this.#read(() => transaction(this.db, work));
  }
}
