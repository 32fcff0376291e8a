import { equal } from "node:assert/strict";
import { categorize, nameWords } from "../../src/scan/categorize.ts";

Deno.test("categorize() follows readOnlyHint before the name", () => {
  equal(categorize({ name: "delete-cache", annotations: { readOnlyHint: true } }), "read");
  equal(categorize({ name: "list-topics", annotations: { readOnlyHint: true } }), "read");
});

Deno.test("categorize() makes destructiveHint: true destructive whatever the name", () => {
  equal(categorize({ name: "write_file", annotations: { destructiveHint: true } }), "destructive");
  equal(
    categorize({ name: "get-x", annotations: { readOnlyHint: false, destructiveHint: true } }),
    "destructive",
  );
});

Deno.test("categorize() lets destructiveHint: false overrule a destructive name", () => {
  equal(
    categorize({ name: "remove-label", annotations: { destructiveHint: false } }),
    "write",
  );
});

Deno.test("categorize() reads destructive names when there are no annotations", () => {
  for (const name of ["delete-topics", "drop_table", "removeTag", "purge-queue", "destroy"]) {
    equal(categorize({ name }), "destructive", name);
  }
});

Deno.test("categorize() puts tools that run code or statements in execute", () => {
  for (const name of ["execute_sql", "run-query", "exec", "create-flink-statement", "query"]) {
    equal(categorize({ name }), "execute", name);
  }
  equal(
    categorize({
      name: "create-flink-statement",
      annotations: { readOnlyHint: false, destructiveHint: false },
    }),
    "execute",
  );
});

Deno.test("categorize() reads read-only names only without readOnlyHint: false", () => {
  equal(categorize({ name: "get_issue" }), "read");
  equal(categorize({ name: "search-code" }), "read");
  equal(categorize({ name: "get-or-create", annotations: { readOnlyHint: false } }), "write");
});

Deno.test("categorize() makes everything else write", () => {
  for (const name of ["produce-message", "create_issue", "update-config", "echo", "merge"]) {
    equal(categorize({ name }), "write", name);
  }
});

Deno.test("nameWords() splits dashes, underscores and camelCase", () => {
  equal(nameWords("createFlink-statement_v2").join(" "), "create flink statement v2");
  equal(nameWords("HTTPGet").join(" "), "httpget");
});
