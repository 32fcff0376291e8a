import { deepEqual, equal, ok } from "node:assert/strict";
import {
  controlDir,
  defaultControlPath,
  discoveryDirs,
  type SocketPathEnv,
} from "../../src/control/socket_path.ts";

function env(vars: Record<string, string>, uid: number | null = 1000): SocketPathEnv {
  return { get: (name) => vars[name], uid: () => uid };
}

/** What the MCP SDK passes to a server it spawns: nothing else. */
const STRIPPED = env({
  HOME: "/home/ann",
  LOGNAME: "ann",
  PATH: "/usr/bin",
  SHELL: "/bin/sh",
  TERM: "xterm",
  USER: "ann",
});

Deno.test("controlDir() does not depend on XDG_RUNTIME_DIR: a stripped env and a login agree", () => {
  equal(controlDir(STRIPPED), "/tmp/intercept-1000");
  equal(controlDir(env({ XDG_RUNTIME_DIR: "/run/user/1000" })), "/tmp/intercept-1000");
  equal(controlDir(env({ TMPDIR: "/var/tmp/" })), "/var/tmp/intercept-1000");
  equal(defaultControlPath(42, STRIPPED), "/tmp/intercept-1000/42.sock");
});

Deno.test("discoveryDirs() from a login shell includes where a stripped-env proxy listens", () => {
  const login = env({ XDG_RUNTIME_DIR: "/run/user/1000", TMPDIR: "/var/folders/x/T" });
  const dirs = discoveryDirs(login);
  deepEqual(dirs, [
    "/var/folders/x/T/intercept-1000",
    "/tmp/intercept-1000",
    "/run/user/1000/intercept",
  ]);
  ok(dirs.includes(controlDir(STRIPPED)));
  deepEqual(discoveryDirs(STRIPPED), ["/tmp/intercept-1000"]);
});

Deno.test("INTERCEPT_CONTROL_DIR names the one folder for proxies and discovery", () => {
  const chosen = env({ INTERCEPT_CONTROL_DIR: "/srv/intercept/", XDG_RUNTIME_DIR: "/run/u" });
  equal(controlDir(chosen), "/srv/intercept");
  deepEqual(discoveryDirs(chosen), ["/srv/intercept"]);
});

Deno.test("controlDir() names the folder without a uid where the platform has none", () => {
  equal(controlDir(env({}, null)), "/tmp/intercept-user");
});
