/** Which tests `deno task test:e2e` runs, and that they start intercept only through the seam. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  e2eTestFiles,
  filesReaching,
  LAUNCHER,
  relativeImports,
  resolveRelative,
} from "../../scripts/test_e2e.ts";
import { ROOT } from "./intercept_command.ts";

Deno.test("relativeImports() finds static, re-exported and dynamic relative imports only", () => {
  const source = `
    import { a } from "./a.ts";
    import type { B } from '../b/b.ts';
    export { c } from "./c.ts";
    import "./side_effect.ts";
    const d = await import("./d.ts");
    import { Client } from "@modelcontextprotocol/sdk/client/index.js";
    import denoJson from "../../deno.json" with { type: "json" };
  `;
  deepEqual(relativeImports(source), [
    "./a.ts",
    "../b/b.ts",
    "./c.ts",
    "./side_effect.ts",
    "./d.ts",
    "../../deno.json",
  ]);
});

Deno.test("resolveRelative() resolves a specifier against the importing module", () => {
  equal(resolveRelative("test/demo/support.ts", "../e2e/helpers.ts"), "test/e2e/helpers.ts");
  equal(resolveRelative("test/e2e/x_test.ts", "./helpers.ts"), "test/e2e/helpers.ts");
});

Deno.test("filesReaching() keeps test files that reach the target through any path, cycles included", () => {
  const graph = new Map<string, string[]>([
    ["test/a/direct_test.ts", [LAUNCHER]],
    ["test/b/indirect_test.ts", ["test/b/support.ts"]],
    ["test/b/support.ts", ["test/e2e/helpers.ts"]],
    ["test/e2e/helpers.ts", [LAUNCHER]],
    ["test/c/unit_test.ts", ["test/c/support.ts"]],
    ["test/c/support.ts", ["test/c/cycle.ts"]],
    ["test/c/cycle.ts", ["test/c/support.ts"]],
    [LAUNCHER, []],
  ]);
  deepEqual(filesReaching(graph, LAUNCHER), ["test/a/direct_test.ts", "test/b/indirect_test.ts"]);
});

Deno.test("e2eTestFiles() holds the tests that start intercept and no unit test", async () => {
  const files = await e2eTestFiles();
  for (
    const expected of [
      "test/e2e/cli_test.ts",
      "test/e2e/proxy_sdk_test.ts",
      "test/control/ctl_test.ts",
      "test/demo/demo_command_test.ts",
      "test/scan/scan_command_test.ts",
      "test/tui/tui_tmux_test.ts",
    ]
  ) ok(files.includes(expected), `${expected} in ${files.join(", ")}`);
  for (const unit of ["test/engine/evaluate_test.ts", "test/policy/loader_test.ts"]) {
    ok(!files.includes(unit), unit);
  }
});

/** Test files that may name src/main.ts without spawning it, and why. */
const NAMES_MAIN_WITHOUT_SPAWNING: Record<string, string> = {
  "test/demo/self_command_test.ts": "passes URLs of main.ts to a pure function",
  "test/cli/proxy_graph_test.ts": "reads main.ts's module graph with deno info",
  "test/e2e/e2e_selection_test.ts": "this guard",
};

Deno.test("no test starts src/main.ts except through test/e2e/intercept_command.ts", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (
        /\.tsx?$/.test(entry.name) && path !== LAUNCHER && !NAMES_MAIN_WITHOUT_SPAWNING[path]
      ) {
        if (/\bmain\.ts\b/.test(await Deno.readTextFile(`${ROOT}${path}`))) offenders.push(path);
      }
    }
  };
  await walk("test");
  deepEqual(offenders, [], `route through interceptCommand(): ${offenders.join(", ")}`);
});
