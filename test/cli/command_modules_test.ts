/** Modules loaded by a computed URL (commands, the proxy's session): each exists and is embedded. */
import { equal, ok } from "node:assert/strict";
import { EMBEDDED_FILES } from "../../scripts/compile.ts";
import { COMMAND_MODULES, isCommandName } from "../../src/cli/command_modules.ts";
import { SESSION_MODULE } from "../../src/commands/run_proxy.ts";

Deno.test("COMMAND_MODULES names modules that export their runner", async () => {
  for (const [name, [file, run]] of Object.entries(COMMAND_MODULES)) {
    const module = await import(`../../src/commands/${file}`);
    equal(typeof module[run], "function", `${name}: ${file} exports ${run}`);
  }
});

Deno.test("deno task compile embeds every command module", () => {
  for (const [file] of Object.values(COMMAND_MODULES)) {
    ok(EMBEDDED_FILES.includes(`src/commands/${file}`), `${file} is passed with --include`);
  }
});

Deno.test("deno task compile embeds the module the proxy loads once its server is spawned", () => {
  ok(EMBEDDED_FILES.includes(`src/commands/${SESSION_MODULE.replace("./", "")}`));
});

Deno.test("isCommandName() knows the commands and nothing inherited", () => {
  ok(isCommandName("validate"));
  ok(isCommandName("--tui"));
  ok(!isCommandName("-c"));
  ok(!isCommandName("toString"));
  ok(!isCommandName("__proto__"));
});
