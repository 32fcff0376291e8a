/** stateOptions(): --state, --state-prefix, --state-timeout-ms and --state-fail, checked. */
import { deepEqual, equal, throws } from "node:assert/strict";
import { parseArgs, UsageError } from "../../src/cli/args.ts";
import { STATE_FLAGS, stateOptions } from "../../src/cli/state_flags.ts";

function options(...argv: string[]) {
  return stateOptions(parseArgs(argv, STATE_FLAGS, { env: () => undefined }), "/work/here");
}

Deno.test("stateOptions() defaults to memory, 250 ms, failing closed", () => {
  deepEqual(options(), { spec: { kind: "memory" }, timeoutMs: 250, failOpen: false });
});

Deno.test("stateOptions() reads sqlite:PATH (relative to the working folder) and Redis URLs", () => {
  deepEqual(options("--state", "sqlite:/var/lib/i/state.db").spec, {
    kind: "sqlite",
    path: "/var/lib/i/state.db",
  });
  deepEqual(options("--state", "sqlite:state.db").spec, {
    kind: "sqlite",
    path: "/work/here/state.db",
  });
  deepEqual(options("--state", "redis://redis:6379/2", "--state-prefix", "prod-eu").spec, {
    kind: "redis",
    url: "redis://redis:6379/2",
    prefix: "prod-eu",
  });
  deepEqual(options("--state", "rediss://u:p@redis").spec, {
    kind: "redis",
    url: "rediss://u:p@redis",
    prefix: "intercept",
  });
  const open = options("--state-fail", "open", "--state-timeout-ms", "40");
  deepEqual([open.failOpen, open.timeoutMs], [true, 40]);
});

Deno.test("stateOptions() refuses bad stores, prefixes and bounds with a clear message", () => {
  const cases: [string[], RegExp][] = [
    [["--state", "postgres://x"], /--state must be memory, sqlite:PATH, redis:\/\/HOST:PORT\/DB/],
    [["--state", "sqlite:"], /--state sqlite: needs a file path/],
    [["--state", "redis://h:6379/db1"], /database must be a number from 0 to 10000, got "db1"/],
    [["--state", "redis://h:6379/0?tls=1"], /takes no query or fragment/],
    [["--state", "redis://:secret@h:99999/0"], /is not a URL such as redis:\/\/HOST:6379\/0/],
    [["--state-prefix", "x"], /--state-prefix applies to a Redis store/],
    [["--state", "redis://h/0", "--state-prefix", "a{b}"], /--state-prefix must be 1 to 64/],
    [["--state-fail", "maybe"], /--state-fail must be open or closed, got "maybe"/],
    [["--state-timeout-ms", "0"], /--state-timeout-ms must be a whole number from 1 to 60000/],
  ];
  for (const [argv, message] of cases) {
    throws(() => options(...argv), (error: Error) => {
      equal(error instanceof UsageError, true, argv.join(" "));
      return message.test(error.message);
    });
  }
  throws(
    () => options("--state", "redis://:secret@h:99999/0"),
    (error: Error) => !error.message.includes("secret"),
  );
});
