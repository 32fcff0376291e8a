/** The SQLite state file: private, versioned, refused when foreign, corrupt or newer; shared and lasting. */
import { DatabaseSync } from "node:sqlite";
import { equal, ok, throws } from "node:assert/strict";
import { SqliteBackend } from "../../src/state/sqlite_backend.ts";
import { StateStoreError } from "../../src/state/state_store_error.ts";
import { planOf, POLICY } from "./backend_conformance.ts";

async function tempFile(): Promise<string> {
  return `${await Deno.makeTempDir({ prefix: "intercept-sqlite-file-" })}/state.db`;
}

Deno.test("SqliteBackend creates its file 0600 and keeps quotas across a restart", async () => {
  const path = await tempFile();
  const first = new SqliteBackend(path);
  equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  ok((await first.take(planOf(POLICY, "both"), 1_000)).taken);
  await first.close();
  const again = new SqliteBackend(path);
  const facts = await again.take(planOf(POLICY, "both", {}, "another session"), 2_000);
  equal(facts.taken, false, "the global quota spent before the restart is still spent");
  await again.close();
});

Deno.test("SqliteBackend refuses a file that is not SQLite, another program's, or a newer schema", async () => {
  const garbage = await tempFile();
  await Deno.writeTextFile(garbage, "this is not a database, just text ".repeat(100));
  throws(
    () => new SqliteBackend(garbage),
    (error: Error) =>
      error instanceof StateStoreError && /is not a usable SQLite database/.test(error.message),
  );

  const foreign = await tempFile();
  const other = new DatabaseSync(foreign);
  other.exec("CREATE TABLE invoices (id INTEGER)");
  other.close();
  throws(
    () => new SqliteBackend(foreign),
    (error: Error) =>
      error instanceof StateStoreError &&
      /holds another program's data \(tables invoices\)/.test(error.message),
  );

  const newer = await tempFile();
  await new SqliteBackend(newer).close();
  const db = new DatabaseSync(newer);
  db.exec("UPDATE meta SET value = '99' WHERE key = 'schema'");
  db.close();
  throws(
    () => new SqliteBackend(newer),
    (error: Error) =>
      error instanceof StateStoreError &&
      /schema version 99; this intercept reads version 1 \(it was made by a newer intercept/.test(
        error.message,
      ),
  );
});

Deno.test("SqliteBackend answers with a promise while another process holds the lock, then takes", async () => {
  const path = await tempFile();
  const store = new SqliteBackend(path, { busyTimeoutMs: 1, timeoutMs: 5_000 });
  const holder = new DatabaseSync(path);
  holder.exec("BEGIN IMMEDIATE");
  const answer = store.take(planOf(POLICY, "both"), 1_000);
  ok(answer instanceof Promise, "locked: it answers later, without blocking");
  holder.exec("COMMIT");
  holder.close();
  ok((await answer).taken);
  await store.close();
});

Deno.test("SqliteBackend rejects a take when the lock outlasts its budget", async () => {
  const path = await tempFile();
  const store = new SqliteBackend(path, { busyTimeoutMs: 1, timeoutMs: 30 });
  const holder = new DatabaseSync(path);
  holder.exec("BEGIN IMMEDIATE");
  try {
    const answer = store.take(planOf(POLICY, "both"), 1_000);
    ok(answer instanceof Promise);
    let failure: Error | null = null;
    await answer.catch((error) => failure = error);
    ok(failure !== null && /locked|busy/i.test((failure as Error).message));
    equal(store.health().reachable, false);
  } finally {
    holder.exec("ROLLBACK");
    holder.close();
    await store.close();
  }
});

Deno.test("SqliteBackend deletes rows out of their window (bounded growth)", async () => {
  const path = await tempFile();
  const store = new SqliteBackend(path, { sweepEveryMs: 0 });
  for (let i = 0; i < 50; i++) await store.take(planOf(POLICY, "a.b", {}, `s${i}`), 1_000 + i);
  const count = () =>
    Number(new DatabaseSync(path).prepare("SELECT count(*) AS n FROM hits").get()!.n);
  ok(count() > 0);
  // An hour later, one take sweeps what left its window.
  await store.take(planOf(POLICY, "a.b", {}, "late"), 3_600_000);
  equal(count(), 2, "only the late take's own rows are left");
  await store.close();
});

Deno.test("SqliteBackend opens a file another process holds locked for a while (proxies starting together)", async () => {
  const path = await tempFile();
  new SqliteBackend(path).close();
  // Another process takes the write lock for 400 ms, as one proxy preparing the file does
  // while the others start.
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { DatabaseSync } from "node:sqlite";
       const db = new DatabaseSync(${JSON.stringify(path)});
       db.exec("BEGIN IMMEDIATE");
       console.log("locked");
       const until = Date.now() + 400;
       while (Date.now() < until) {}
       db.exec("COMMIT");`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  equal((await reader.read()).value?.trim(), "locked");
  const backend = new SqliteBackend(path);
  ok((await backend.take(planOf(POLICY, "both"), 1_000)).taken);
  await backend.close();
  await reader.cancel();
  equal((await holder.status).code, 0);
});
