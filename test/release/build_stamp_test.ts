import { deepEqual, equal, match, ok } from "node:assert/strict";
import { chooseBuildCommit, STAMP_PATH, stampText } from "../../scripts/build_stamp.ts";

Deno.test("chooseBuildCommit() prefers INTERCEPT_BUILD_COMMIT, shortened", () => {
  deepEqual(chooseBuildCommit("0123456789abcdef0123456789abcdef01234567", "aaaaaaa"), {
    ok: true,
    commit: "0123456",
  });
});

Deno.test("chooseBuildCommit() refuses an INTERCEPT_BUILD_COMMIT that is not a commit id", () => {
  const choice = chooseBuildCommit("main", "aaaaaaa");
  equal(choice.ok, false);
  if (!choice.ok) {
    equal(choice.error, 'INTERCEPT_BUILD_COMMIT "main" is not a commit id (7 to 40 hex digits)');
  }
});

Deno.test("chooseBuildCommit() uses the checkout, else stamps unknown with a warning", () => {
  deepEqual(chooseBuildCommit(undefined, "bbbbbbb"), { ok: true, commit: "bbbbbbb" });
  deepEqual(chooseBuildCommit("", "bbbbbbb"), { ok: true, commit: "bbbbbbb" });
  const none = chooseBuildCommit(undefined, undefined);
  ok(none.ok);
  if (none.ok) {
    equal(none.commit, "unknown");
    match(none.warning ?? "", /--version will say "unknown"/);
  }
});

Deno.test("stampText() is the JSON src/cli/version.ts reads", () => {
  equal(STAMP_PATH, "src/cli/build_stamp.json");
  deepEqual(JSON.parse(stampText("abc1234")), { commit: "abc1234" });
});
