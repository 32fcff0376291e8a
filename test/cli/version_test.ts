import { equal } from "node:assert/strict";
import { resolveCommit, shortCommit, versionLine } from "../../src/cli/version.ts";

const never = (): string | undefined => {
  throw new Error("not to be read here");
};

Deno.test("versionLine() prints the version and the commit", () => {
  equal(versionLine("0.1.0", "abc1234"), "intercept 0.1.0 (abc1234)");
});

Deno.test("shortCommit() shortens a commit id and refuses anything else", () => {
  equal(shortCommit("ABC1234def5678"), "abc1234");
  equal(shortCommit(" 0123456789abcdef0123456789abcdef01234567\n"), "0123456");
  for (const bad of [undefined, "", "abc12", "xyz1234", "abc1234; rm -rf /", "a".repeat(41)]) {
    equal(shortCommit(bad), undefined, String(bad));
  }
});

Deno.test("resolveCommit() in a binary reads the build stamp", () => {
  const commit = resolveCommit({
    standalone: true,
    readStamp: () => '{\n  "commit": "1a2b3c4d5e"\n}\n',
    gitCommit: never,
  });
  equal(commit, "1a2b3c4");
});

Deno.test("resolveCommit() in a binary without a valid stamp says unknown", () => {
  for (const stamp of [undefined, "not json", '{"commit": 7}', '{"commit": "main"}', "null"]) {
    equal(resolveCommit({ standalone: true, readStamp: () => stamp, gitCommit: never }), "unknown");
  }
});

Deno.test("resolveCommit() from source uses the checkout, else says source, never a stamp", () => {
  const stamp = () => '{"commit": "fffffff"}';
  equal(
    resolveCommit({ standalone: false, readStamp: stamp, gitCommit: () => "abc1234" }),
    "abc1234",
  );
  equal(
    resolveCommit({ standalone: false, readStamp: stamp, gitCommit: () => undefined }),
    "source",
  );
});
