/** GlobIndex: the same first match as testing every glob in order, for any name. */
import { equal } from "node:assert/strict";
import { Glob } from "../../src/policy/glob.ts";
import { GlobIndex } from "../../src/policy/glob_index.ts";

function indexOf(globs: string[]): GlobIndex<string> {
  const index = new GlobIndex<string>();
  for (const glob of globs) index.add(new Glob(glob), glob);
  return index;
}

/** What a test of every glob in order finds. */
function linear(globs: string[], name: string): string | undefined {
  return globs.find((glob) => new Glob(glob).test(name));
}

Deno.test("GlobIndex finds the first matching glob in file order", () => {
  const globs = ["delete-*", "*-topics", "delete-t*", "*", "d?lete-*"];
  const index = indexOf(globs);
  equal(index.first("delete-topics"), "delete-*");
  equal(index.first("list-topics"), "*-topics");
  equal(index.first("anything"), "*");
  equal(indexOf(["*-topics", "delete-*"]).first("delete-topics"), "*-topics", "order, not kind");
  equal(indexOf(["a*b", "a*"]).first("ab"), "a*b");
  equal(indexOf(["a*b"]).first("ba"), undefined);
  equal(indexOf(["*-admin", "*x*", "?-admin"]).first("b-admin"), "*-admin");
  equal(indexOf(["*x*", "*-admin"]).first("x-admin"), "*x*", "an unfiled glob keeps its order");
});

Deno.test("GlobIndex agrees with a test of every glob, for many globs and names", () => {
  const parts = ["a", "b", "ab", "é", "😀", "-", ""];
  const pick = (seed: number, i: number) => parts[(seed * 7 + i * 13) % parts.length];
  const globs: string[] = [];
  for (let seed = 0; seed < 120; seed++) {
    const [x, y, z] = [pick(seed, 1), pick(seed, 2), pick(seed, 3)];
    const shapes = [`${x}*`, `*${y}`, `${x}*${y}`, `*${z}*`, `${x}?${y}`, `?${z}`, `${x}${y}*?`];
    globs.push(shapes[seed % shapes.length]);
  }
  const index = indexOf(globs);
  for (let seed = 0; seed < 400; seed++) {
    const name = [1, 2, 3, 4].map((i) => pick(seed, i)).join("").slice(0, (seed % 6) + 1);
    equal(index.first(name), linear(globs, name), `name ${JSON.stringify(name)}`);
  }
});

Deno.test("GlobIndex finds nothing in an empty index, or when no edge fits", () => {
  equal(indexOf([]).first("x"), undefined);
  equal(indexOf(["svc1-*", "*-admin1"]).first("unrelated"), undefined);
});

Deno.test("Glob knows the literal edges every match starts and ends with", () => {
  const edges = (source: string) => {
    const glob = new Glob(source);
    return [glob.prefix, glob.suffix];
  };
  equal(edges("svc-*-x").join("|"), "svc-|-x");
  equal(edges("*-admin").join("|"), "|-admin");
  equal(edges("a?b").join("|"), "a|b");
  equal(edges("plain").join("|"), "plain|");
  equal(edges("*").join("|"), "|");
  equal(edges("*x*").join("|"), "|");
});

Deno.test("GlobIndex tells apart edges of one length whose hashes are equal", () => {
  // "Aa" and "BB" hash alike (31 × 65 + 97 = 31 × 66 + 66), and so do the suffixes "aA" and
  // "BB" (hashed from the end): each must still find its own.
  const index = indexOf(["Aa*", "BB*", "*aA", "*BB"]);
  equal(index.first("BB-x"), "BB*");
  equal(index.first("Aa-x"), "Aa*");
  equal(index.first("x-BB"), "*BB");
  equal(index.first("x-aA"), "*aA");
  equal(index.first("AB-x"), undefined);
  equal(indexOf(["BB*", "*BB"]).first("Aa-aA"), undefined);
});
