/** Tool-name globs: `*` any run, `?` one character, everything else literal; never backtracks. */
import { equal, ok } from "node:assert/strict";
import { Glob, isGlob } from "../../src/policy/glob.ts";

const glob = (pattern: string) => new Glob(pattern);

Deno.test("isGlob() spots * and ?", () => {
  ok(isGlob("delete_*") && isGlob("get?") && isGlob("*"));
  equal(isGlob("read_file"), false);
});

Deno.test("Glob.test() matches * and ? over the whole name", () => {
  const star = glob("delete_*");
  ok(star.test("delete_") && star.test("delete_topic") && star.test("delete_a\nb"));
  ok(!star.test("xdelete_topic") && !star.test("delete"));
  const one = glob("get?");
  ok(one.test("gets") && !one.test("get") && !one.test("getss"));
  ok(glob("*_list").test("topics_list"));
  ok(glob("*").test("") && glob("*").test("anything") && glob("**").test("x"));
  equal(glob("*").source, "*");
});

Deno.test("Glob.test() places the pieces between stars without overlapping", () => {
  ok(glob("a*b*c").test("abc") && glob("a*b*c").test("a_b_b_c") && !glob("a*b*c").test("acb"));
  ok(!glob("ab*ba").test("aba") && glob("ab*ba").test("abba"));
  ok(glob("*-*-prod").test("a-b-prod") && !glob("*-*-prod").test("a-prod"));
  ok(glob("?*?").test("ab") && !glob("?*?").test("a"));
  ok(glob("*a?c*").test("xxabcyy") && glob("*a?c*").test("aac") && !glob("*a?c*").test("ac"));
  ok(glob("*??").test("ab") && !glob("*??").test("a"));
  ok(glob("x*?y?z*").test("x1y2z") && !glob("x*?y?z*").test("xy2z"));
});

Deno.test("Glob.test() counts ? as one character, astral ones included", () => {
  ok(glob("run-?").test("run-😀") && !glob("run-??").test("run-😀"));
  ok(glob("*?-x").test("😀-x") && glob("?*").test("😀"));
  ok(glob("*😀?").test("a😀b") && glob("a*?").test("a😀"));
});

Deno.test("Glob.test() treats regex characters in a name literally", () => {
  const dotted = glob("github.create_*");
  ok(dotted.test("github.create_issue") && !dotted.test("githubXcreate_issue"));
  ok(glob("a+(b)|c*").test("a+(b)|c1") && !glob("a+(b)|c*").test("aa(b)|c"));
  ok(glob("x[1]{2}$^*").test("x[1]{2}$^y"));
  ok(glob("delete-*").test("delete-topics") && !glob("delete-*").test("delete_topics"));
});

Deno.test("Glob.test() agrees with a reference matcher on generated names", () => {
  const patterns = ["*-*-*-*-prod", "a*?b", "?*a*", "*ab*ab*", "a?*?a", "*a**b*"];
  const reference = (pattern: string, name: string): boolean => {
    // The textbook dynamic programme: slow, simple, obviously right.
    const p = [...pattern];
    const n = [...name];
    let row = p.map(() => false);
    row = [true, ...row];
    for (let j = 1; j <= p.length; j++) row[j] = row[j - 1] && p[j - 1] === "*";
    for (let i = 1; i <= n.length; i++) {
      const next = [false];
      for (let j = 1; j <= p.length; j++) {
        const c = p[j - 1];
        next[j] = c === "*" ? next[j - 1] || row[j] : row[j - 1] && (c === "?" || c === n[i - 1]);
      }
      row = next;
    }
    return row[p.length];
  };
  let seed = 3;
  for (let count = 0; count < 3_000; count++) {
    let name = "";
    seed = (seed * 48_271) % 2_147_483_647;
    const length = seed % 12;
    for (let i = 0; i < length; i++) {
      seed = (seed * 48_271) % 2_147_483_647;
      name += ["a", "b", "-", "p", "r", "o", "d", "😀"][seed % 8];
    }
    for (const pattern of patterns) {
      equal(glob(pattern).test(name), reference(pattern, name), `${pattern} on ${name}`);
    }
  }
});
