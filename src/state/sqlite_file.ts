/**
 * The SQLite state file: created 0600, opened in WAL mode with a short busy timeout, its schema
 * created or checked. A file that is not SQLite, belongs to another program, or was made by a
 * newer intercept is refused at start with a message that says which.
 */
import { DatabaseSync } from "node:sqlite";
import { StateStoreError } from "./state_store_error.ts";

/** The schema this code reads and writes; a file with another one is refused. */
export const SCHEMA_VERSION = 1;
const APP = "intercept-state";

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE hits (
  scope TEXT NOT NULL, quota TEXT NOT NULL, entry TEXT NOT NULL,
  at REAL NOT NULL, expires REAL NOT NULL
) STRICT;
CREATE INDEX hits_by_key ON hits (scope, quota, at);
CREATE INDEX hits_by_expiry ON hits (expires);
CREATE INDEX hits_by_entry ON hits (entry);
CREATE TABLE counters (
  scope TEXT NOT NULL, counter TEXT NOT NULL, entry TEXT NOT NULL,
  slot INTEGER NOT NULL, sum REAL NOT NULL, expires REAL NOT NULL,
  PRIMARY KEY (scope, counter, slot)
) STRICT;
CREATE INDEX counters_by_expiry ON counters (expires);
CREATE INDEX counters_by_entry ON counters (entry);
CREATE TABLE denies (
  pattern TEXT PRIMARY KEY, reason TEXT NOT NULL, by TEXT, at REAL NOT NULL
) STRICT;
INSERT INTO meta VALUES ('app', '${APP}'), ('schema', '${SCHEMA_VERSION}'), ('denies', '0');
`;

export interface SqliteFileOptions {
  /** How long one statement waits for another process's write lock (ms). */
  busyTimeoutMs: number;
}

/** How long opening the file waits for another process's lock before it gives up (ms). */
const OPEN_BUSY_MS = 10_000;

/** Opens (creating when missing) the state file at `path`; throws `StateStoreError`. */
export function openStateFile(path: string, options: SqliteFileOptions): DatabaseSync {
  createPrivate(path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (error) {
    throw new StateStoreError(`Cannot open the state file ${path}: ${(error as Error).message}`);
  }
  try {
    // Opening may wait for another process preparing the file or taking a quota (proxies
    // that start together): the start-up waits up to OPEN_BUSY_MS; a take never waits long.
    db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_MS}`);
    prepareSchema(db, path);
    // WAL: readers never wait for the writer; NORMAL: a commit is on disk at the next
    // checkpoint, so a crash of the process loses nothing, a power cut the last moments.
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StateStoreError) throw error;
    throw new StateStoreError(explain(path, error as Error));
  }
}

/** Creates the file 0600 when missing, so that the first writer never makes it readable. */
function createPrivate(path: string): void {
  try {
    const file = Deno.openSync(path, { createNew: true, write: true, mode: 0o600 });
    file.close();
    Deno.chmodSync(path, 0o600);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    throw new StateStoreError(
      `Cannot create the state file ${path}: ${(error as Error).message}`,
    );
  }
}

function prepareSchema(db: DatabaseSync, path: string): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
      .map((row) => String(row.name));
    if (tables.length === 0) db.exec(SCHEMA);
    else checkSchema(db, path, tables);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function checkSchema(db: DatabaseSync, path: string, tables: string[]): void {
  const foreign = () =>
    new StateStoreError(
      `The state file ${path} holds another program's data (tables ${
        tables.slice(0, 5).join(", ")
      }); give --state sqlite: a file of its own`,
    );
  if (!tables.includes("meta")) throw foreign();
  const meta = new Map<string, string>();
  for (const row of db.prepare("SELECT key, value FROM meta").all()) {
    meta.set(String(row.key), String(row.value));
  }
  if (meta.get("app") !== APP) throw foreign();
  const version = Number(meta.get("schema"));
  if (version !== SCHEMA_VERSION) {
    const newer = version > SCHEMA_VERSION;
    throw new StateStoreError(
      `The state file ${path} has schema version ${meta.get("schema")}; this intercept ` +
        `reads version ${SCHEMA_VERSION}` +
        (newer ? " (it was made by a newer intercept: upgrade this one)" : ""),
    );
  }
}

function explain(path: string, error: Error): string {
  const message = error.message;
  if (/not a database|malformed|corrupt/i.test(message)) {
    return `The state file ${path} is not a usable SQLite database (${message}); ` +
      `move it away to start afresh`;
  }
  return `Cannot use the state file ${path}: ${message}`;
}
