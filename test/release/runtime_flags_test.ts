/** The V8 flags: the compiled binary and `deno task intercept` run with the same ones. */
import { equal } from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { RUNTIME_V8_FLAGS } from "../../scripts/runtime_flags.ts";

Deno.test("deno task intercept runs with the compiled binary's V8 flags", () => {
  const flags = /--v8-flags=(\S+)/.exec(denoJson.tasks.intercept.command)?.[1];
  equal(flags, RUNTIME_V8_FLAGS);
});
