/** The shared state-store conformance suite against SQLite, two handles on one file included. */
import { SqliteBackend } from "../../src/state/sqlite_backend.ts";
import { runConformance } from "./backend_conformance.ts";

let path = "";

runConformance("SqliteBackend", {
  clock: "injected",
  fleet: true,
  open: async () => {
    path = `${await Deno.makeTempDir({ prefix: "intercept-sqlite-" })}/state.db`;
    return new SqliteBackend(path);
  },
  sibling: () => Promise.resolve(new SqliteBackend(path)),
});
