/**
 * LazyDfa against re2js's own matcher (the reference RE2 port), over patterns that exercise
 * every instruction and empty-width condition, and inputs built from their alphabets.
 */
import { equal, ok } from "node:assert/strict";
import { RE2JS } from "re2js";
import { LazyDfa, type Prog } from "../../src/policy/regex_dfa.ts";

const PATTERNS = [
  "",
  "a",
  "^a",
  "a$",
  "^a$",
  "^$",
  "ab|cd",
  "^(orders|audit)-",
  "^(orders|audit)-[a-z0-9.-]+$",
  "^([a-z0-9]+-?)*$",
  "(a|b)*a(a|b){3}$",
  "(?i)^acme/",
  "(?i)k",
  "(?i)s+",
  "(?i)[a-c]x",
  "(?i)^\\s*(select|show)\\b",
  "\\bfoo\\b",
  "\\Bo\\B",
  "(?m)^b$",
  "(?m)a$",
  "(?s)a.b",
  "a.b",
  "\\d+",
  "\\w\\W",
  "\\s",
  "[^a]",
  "\\p{Greek}+",
  "\\x{1F600}",
  "^.$",
  "é",
  "\\Aab\\z",
  "x*",
  "(a*)*b",
  "[[:upper:]]{2}",
  "a{2,3}c",
  "(?U)a+?",
  "^(?:(?:a|aa)+)$",
  "\\x{0}",
];

const ALPHABET = [
  "a",
  "b",
  "c",
  "d",
  "k",
  "K",
  "\u212a",
  "s",
  "S",
  "\u017f",
  "x",
  "o",
  "f",
  "-",
  " ",
  "\n",
  "\t",
  "1",
  "_",
  "/",
  ".",
  "é",
  "α",
  "😀",
  "\ud800",
  "\0",
  "A",
  "C",
  "E",
  "M",
];

function dfaOf(pattern: string): LazyDfa {
  return new LazyDfa(RE2JS.compile(pattern).re2().prog as Prog);
}

/** A deterministic pseudo-random sequence, so that failures reproduce. */
function* inputs(seed: number, count: number): Generator<string> {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let n = 0; n < count; n++) {
    const length = next() % 9;
    let text = "";
    for (let i = 0; i < length; i++) text += ALPHABET[next() % ALPHABET.length];
    yield text;
  }
}

const FIXED = ["", "orders-eu", "audit-", "acme/x", "ACME/X", "  SELECT 1", "foo bar", "a\nb"];

Deno.test("LazyDfa.test() agrees with re2js on every pattern and generated input", () => {
  let compared = 0;
  for (const pattern of PATTERNS) {
    const reference = RE2JS.compile(pattern);
    const dfa = dfaOf(pattern);
    for (const input of [...FIXED, ...inputs(pattern.length + 7, 400)]) {
      equal(
        dfa.test(input),
        reference.test(input),
        `${JSON.stringify(pattern)} on ${JSON.stringify(input)}`,
      );
      compared++;
    }
  }
  ok(compared > 10_000);
});

Deno.test("LazyDfa.test() matches anywhere, with ^ and $ at the ends of the input only", () => {
  const dfa = dfaOf("^(orders|audit)-[a-z0-9.-]+$");
  ok(dfa.test("orders-eu.1"));
  ok(!dfa.test("orders-eu\n"));
  ok(!dfa.test("xorders-eu"));
  ok(!dfa.test("payments-eu"));
  ok(dfaOf("b").test("aaab"));
  ok(!dfaOf("^b").test("ab"));
});

Deno.test("LazyDfa.test() stays correct when its state cache fills and starts afresh", () => {
  // (a|b)*a(a|b){12} has 2^13 DFA states: far more than the cache holds.
  const pattern = "(a|b)*a(a|b){12}c";
  const reference = RE2JS.compile(pattern);
  const dfa = dfaOf(pattern);
  let state = 1;
  for (let n = 0; n < 30; n++) {
    let text = "";
    for (let i = 0; i < 3_000; i++) {
      state = (state * 48_271) % 2_147_483_647;
      text += state % 2 === 0 ? "a" : "b";
    }
    if (n % 3 === 0) text += "c";
    equal(dfa.test(text), reference.test(text));
  }
});
