import { deepEqual, rejects } from "node:assert/strict";
import { NOT_RUN, readChecks } from "../../scripts/conformance/suite.ts";

async function resultsFolder(folders: Record<string, unknown>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "conformance-results-" });
  for (const [name, checks] of Object.entries(folders)) {
    await Deno.mkdir(`${root}/${name}`);
    if (checks !== null) {
      await Deno.writeTextFile(`${root}/${name}/checks.json`, JSON.stringify(checks));
    }
  }
  return root;
}

Deno.test("readChecks() reads each scenario's checks in the order the suite ran them", async () => {
  const root = await resultsFolder({
    "server-tools-list-2026-11-30T00-33-06-300Z": [
      { id: "tools-list", status: "SUCCESS", details: {} },
      { id: "wire-schema-valid", status: "FAILURE", errorMessage: "id must be an integer" },
    ],
    "server-ping-2026-11-30T00-33-06-100Z": [{ id: "ping", status: "SUCCESS" }],
    "notes.txt-2026": null,
  });
  try {
    deepEqual(await readChecks(root), [
      { scenario: "ping", id: "ping", status: "SUCCESS" },
      { scenario: "tools-list", id: "tools-list", status: "SUCCESS" },
      {
        scenario: "tools-list",
        id: "wire-schema-valid",
        status: "FAILURE",
        errorMessage: "id must be an integer",
      },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readChecks() counts a scenario that failed to run as one failed check, with the suite's reason", async () => {
  const root = await resultsFolder({
    "server-sep-2640-skills-directory-2026-11-30T00-33-13-325Z": null,
    "server-caching-2026-11-30T00-33-13-529Z": null,
  });
  const log = "=== Running scenario: sep-2640-skills-directory ===\n" +
    "Failed to run scenario sep-2640-skills-directory: Et [JsonRpcError]: Bad Request\n";
  try {
    deepEqual(await readChecks(root, log), [
      {
        scenario: "sep-2640-skills-directory",
        id: NOT_RUN,
        status: "FAILURE",
        errorMessage: "Et [JsonRpcError]: Bad Request",
      },
      {
        scenario: "caching",
        id: NOT_RUN,
        status: "FAILURE",
        errorMessage: "the suite wrote no checks for it",
      },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readChecks() refuses a checks.json that is not an array, naming the file", async () => {
  const root = await resultsFolder({ "server-ping-2026-11-30T00-33-06-100Z": { id: "ping" } });
  try {
    await rejects(
      readChecks(root),
      /server-ping-2026-11-30T00-33-06-100Z\/checks\.json is not an array/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
