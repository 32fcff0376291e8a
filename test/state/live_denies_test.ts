import { deepEqual, equal, throws } from "node:assert/strict";
import { Glob, isGlob } from "../../src/policy/glob.ts";
import { LiveDenies, MAX_LIVE_DENIES, MAX_LIVE_DENY_PATTERN } from "../../src/state/live_denies.ts";

Deno.test("Glob, as live denies use it, matches * as any run and ? as one character", () => {
  const cases: [string, string, boolean][] = [
    ["get-*", "get-topic-config", true],
    ["get-*", "get-", true],
    ["get-*", "list-topics", false],
    ["*-topics", "list-topics", true],
    ["*-topics", "list-topics-x", false],
    ["*", "", true],
    ["*", "anything at all", true],
    ["", "", true],
    ["", "x", false],
    ["?", "a", true],
    ["?", "", false],
    ["?", "ab", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXcYYb", false],
    ["*a*", "banana", true],
    ["**", "x", true],
    ["*?", "", false],
    ["*?", "x", true],
    ["exact", "exact", true],
    ["exact", "exactly", false],
    ["delete-*-prod", "delete-topic-prod", true],
    ["delete-*-prod", "delete-topic-prod-eu", false],
  ];
  for (const [pattern, text, expected] of cases) {
    equal(new Glob(pattern).test(text), expected, `"${pattern}" against "${text}"`);
  }
});

Deno.test("LiveDenies counts characters outside the BMP as one, like policy globs", () => {
  const denies = new LiveDenies().set("t?", "one");
  equal(denies.reasonFor("t😀"), "one");
  equal(new LiveDenies().set("t??", "two").reasonFor("t😀"), undefined);
});

Deno.test("Glob, as live denies use it, decides patterns that make backtracking matchers explode", () => {
  // A backtracking matcher tries every split of the a's between the stars.
  const text = "a".repeat(256);
  equal(new Glob("*a*a*a*a*a*a*a*a*a*a*b").test(text), false);
  equal(new Glob("*-*-*-*-prod").test("-".repeat(255) + "x"), false);
});

Deno.test("isGlob() is true for * and ? only", () => {
  deepEqual(["get-*", "a?", "*", "get-topic"].map(isGlob), [true, true, true, false]);
});

Deno.test("LiveDenies.reasonFor() prefers the tool's own deny, then the first glob set", () => {
  const denies = new LiveDenies();
  equal(denies.reasonFor("get-topic"), undefined);
  denies.set("get-*", "reads paused");
  denies.set("*-topic", "topics paused");
  equal(denies.reasonFor("get-topic"), "reads paused");
  equal(denies.patternFor("get-topic"), "get-*");
  equal(denies.reasonFor("list-topic"), "topics paused");
  equal(denies.reasonFor("list-topics"), undefined);
  denies.set("get-topic", "this one especially");
  equal(denies.reasonFor("get-topic"), "this one especially");
  equal(denies.patternFor("get-topic"), "get-topic");
  denies.set("*", "everything");
  equal(denies.reasonFor("produce-message"), "everything");
});

Deno.test("LiveDenies keeps patterns apart from names: get, has, delete and iteration", () => {
  const denies = new LiveDenies();
  denies.set("get-*", "a").set("produce-message", "b").set("*", "c");
  equal(denies.size, 3);
  equal(denies.get("get-*"), "a");
  equal(denies.get("get-topic"), undefined, "get() is exact, reasonFor() matches");
  equal(denies.has("*"), true);
  deepEqual([...denies], [["produce-message", "b"], ["get-*", "a"], ["*", "c"]]);
  deepEqual([...denies.keys()], ["produce-message", "get-*", "*"]);
  deepEqual([...denies.exactNames()], ["produce-message"]);
  equal(denies.delete("get-topic"), false);
  equal(denies.delete("get-*"), true);
  equal(denies.delete("get-*"), false);
  denies.set("produce-message", "b2");
  equal(denies.size, 2);
  equal(denies.reasonFor("produce-message"), "b2");
});

Deno.test("LiveDenies.set() refuses an empty or over-long pattern and past the bound", () => {
  const denies = new LiveDenies();
  throws(() => denies.set("", "x"), RangeError);
  throws(() => denies.set("x".repeat(MAX_LIVE_DENY_PATTERN + 1), "x"), /1 to 256 characters/);
  for (let i = 0; i < MAX_LIVE_DENIES; i++) denies.set(`tool-${i}`, "x");
  throws(() => denies.set("one-more-*", "x"), /1000 live denies are in force already/);
  equal(denies.reasonFor("one-more-tool"), undefined, "nothing half-applied");
  denies.set("tool-1", "a new reason for one already there");
  equal(denies.reasonFor("tool-1"), "a new reason for one already there");
});
