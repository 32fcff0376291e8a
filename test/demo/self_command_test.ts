/** How the demo starts this same program again. */
import { deepEqual } from "node:assert/strict";
import { selfCommand } from "../../src/demo/self_command.ts";

Deno.test("selfCommand() runs src/main.ts with the running deno from source", () => {
  deepEqual(
    selfCommand({
      execPath: "/usr/bin/deno",
      standalone: false,
      mainUrl: new URL("file:///home/a%20b/intercept/src/main.ts"),
    }),
    ["/usr/bin/deno", "run", "-A", "/home/a b/intercept/src/main.ts"],
  );
});

Deno.test("selfCommand() is the binary alone when compiled", () => {
  deepEqual(
    selfCommand({
      execPath: "/usr/local/bin/intercept",
      standalone: true,
      mainUrl: new URL("file:///tmp/deno-compile-intercept/src/main.ts"),
    }),
    ["/usr/local/bin/intercept"],
  );
});

Deno.test("selfCommand() defaults to this process", () => {
  const [command, ...rest] = selfCommand();
  deepEqual(command, Deno.execPath());
  deepEqual(rest.slice(0, 2), ["run", "-A"]);
});
