/** Tool-name globs: `*` any run, `?` one character, everything else literal. */
import { equal, ok } from "node:assert/strict";
import { globToRegExp, isGlob } from "../../src/policy/glob.ts";

Deno.test("isGlob() spots * and ?", () => {
  ok(isGlob("delete_*") && isGlob("get?") && isGlob("*"));
  equal(isGlob("read_file"), false);
});

Deno.test("globToRegExp() matches * and ? over the whole name", () => {
  const star = globToRegExp("delete_*");
  ok(star.test("delete_") && star.test("delete_topic") && star.test("delete_a\nb"));
  ok(!star.test("xdelete_topic") && !star.test("delete"));
  const one = globToRegExp("get?");
  ok(one.test("gets") && !one.test("get") && !one.test("getss"));
  ok(globToRegExp("*_list").test("topics_list"));
});

Deno.test("globToRegExp() treats regex characters in a name literally", () => {
  const dotted = globToRegExp("github.create_*");
  ok(dotted.test("github.create_issue") && !dotted.test("githubXcreate_issue"));
  ok(globToRegExp("a+(b)|c*").test("a+(b)|c1") && !globToRegExp("a+(b)|c*").test("aa(b)|c"));
  ok(globToRegExp("x[1]{2}$^*").test("x[1]{2}$^y"));
});

Deno.test("globToRegExp() accepts a hyphen in a glob", () => {
  const glob = globToRegExp("delete-*");
  ok(glob.test("delete-topics") && !glob.test("delete_topics"));
});
