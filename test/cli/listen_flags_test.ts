/** --listen and its flags: where to listen, who may call, and the bounds. */
import { deepEqual, equal, throws } from "node:assert/strict";
import { parseArgs, UsageError } from "../../src/cli/args.ts";
import { LISTEN_FLAGS, listenOptions, parseHostPort } from "../../src/cli/listen_flags.ts";

const parse = (...argv: string[]) =>
  listenOptions(parseArgs(argv, LISTEN_FLAGS, { env: () => undefined }));

Deno.test("parseHostPort() reads HOST:PORT, :PORT and [v6]:PORT", () => {
  deepEqual(parseHostPort("0.0.0.0:8080"), { hostname: "0.0.0.0", port: 8080 });
  deepEqual(parseHostPort(":9000"), { hostname: "127.0.0.1", port: 9000 });
  deepEqual(parseHostPort("[::1]:0"), { hostname: "::1", port: 0 });
  for (const bad of ["8080", "host:", "host:99999", "a:b:c:1"]) {
    throws(() => parseHostPort(bad), UsageError, bad);
  }
});

Deno.test("listenOptions() needs tokens or --no-auth off loopback", () => {
  throws(() => parse("--listen", "0.0.0.0:8080"), /reachable from other machines/);
  equal(parse("--listen", "0.0.0.0:8080", "--no-auth")?.authTokens, null);
  equal(parse("--listen", "0.0.0.0:8080", "--auth-tokens", "t.yaml")?.authTokens, "t.yaml");
  equal(parse("--listen", "127.0.0.1:8080")?.authTokens, null, "loopback may go without");
  equal(parse("--listen", "127.0.0.2:8080")?.authTokens, null, "all of 127/8 is loopback");
  // A name that starts like a loopback address may resolve anywhere.
  for (const name of ["127.attacker.example", "127.0.0.1.nip.io", "127.1"]) {
    throws(() => parse("--listen", `${name}:8080`), /reachable from other machines/, name);
  }
  throws(() => parse("--listen", ":1", "--auth-tokens", "t", "--no-auth"), /not both/);
});

Deno.test("listenOptions() refuses listen flags without --listen, and bad origins", () => {
  equal(parse(), null);
  throws(() => parse("--max-sessions", "5"), /only applies with --listen/);
  throws(() => parse("--listen", ":1", "--allowed-origins", "not a url"), /is not an origin/);
  throws(
    () => parse("--listen", ":1", "--allowed-origins", "https://a.example/path"),
    /did you mean https:\/\/a\.example/,
  );
  deepEqual(
    parse("--listen", ":1", "--allowed-origins", "https://a.example,https://b.example")
      ?.allowedOrigins,
    ["https://a.example", "https://b.example"],
  );
});
