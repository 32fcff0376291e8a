/** The tokens file: principal → sha256 of its token; every problem located. */
import { equal, match, throws } from "node:assert/strict";
import { tokenDigest } from "../../src/transports/auth_tokens.ts";
import { AuthTokensError, parseAuthTokens } from "../../src/transports/auth_tokens_file.ts";

const HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // "test"

Deno.test("parseAuthTokens() maps token digests to principals", async () => {
  const table = parseAuthTokens(`alice: "sha256:${HASH}"\n`, "tokens.yaml");
  equal(table.get(await tokenDigest("test")), "alice");
  equal(table.get(await tokenDigest("other")), undefined);
});

Deno.test("parseAuthTokens() reports every bad line with its place", () => {
  const text = [
    `alice: "${HASH}"`,
    `"bad name!": "sha256:${HASH}"`,
    `bob: "sha256:${HASH}"`,
    `carol: "sha256:${HASH}"`,
  ].join("\n");
  let message = "";
  throws(() => {
    try {
      parseAuthTokens(text, "t.yaml");
    } catch (error) {
      message = (error as Error).message;
      throw error;
    }
  }, AuthTokensError);
  match(message, /t\.yaml:1:1: the token of "alice" must be "sha256:"/);
  match(message, /t\.yaml:2:1: principal "bad name!"/);
  match(message, /t\.yaml:4:1: "carol" has the same token as "bob"/);
});

Deno.test("parseAuthTokens() refuses an empty or non-mapping file", () => {
  throws(() => parseAuthTokens("", "t.yaml"), /must map principal names/);
  throws(() => parseAuthTokens("- a\n", "t.yaml"), /must map principal names/);
  throws(() => parseAuthTokens("{}\n", "t.yaml"), /names no principal/);
});
