/**
 * One write transaction on the state file (BEGIN IMMEDIATE … COMMIT), and what to do when
 * another process holds the write lock: try again shortly, without blocking the event loop
 * between tries, until a time budget runs out.
 */
import type { DatabaseSync } from "node:sqlite";

/** Runs `work` in one write transaction: all of it is committed, or none. */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // SQLite rolled back on its own (a busy or full database ends the transaction).
    }
    throw error;
  }
}

/** Whether `error` is SQLite saying another connection holds the lock. */
export function isBusy(error: unknown): boolean {
  const { errcode, message } = error as { errcode?: number; message?: string };
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
  if (typeof errcode === "number" && ((errcode & 0xff) === 5 || (errcode & 0xff) === 6)) {
    return true;
  }
  return typeof message === "string" && /database is (locked|busy)/i.test(message);
}

/** Pause between tries while the file is locked by another process. */
const RETRY_PAUSE_MS = 2;

/**
 * Tries `attempt` again while the file is busy, each try after a short pause, until
 * `budgetMs` has passed; then throws the last busy error.
 */
export async function retryWhileBusy<T>(attempt: () => T, budgetMs: number): Promise<T> {
  const deadline = performance.now() + budgetMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error) || performance.now() >= deadline) throw error;
    }
  }
}
