/** knownKeysAt and suggest: the material of "did you mean" hints. */
import { deepEqual, equal } from "node:assert/strict";
import { knownKeysAt, suggest } from "../../src/policy/suggest.ts";

Deno.test("knownKeysAt() lists the schema's keys at a path", () => {
  deepEqual(knownKeysAt([]), ["version", "description", "default", "hide", "tools"]);
  deepEqual(knownKeysAt(["tools", "any"]), ["rules"]);
  deepEqual(knownKeysAt(["tools", "any", "rules", 0, "conditions", 3]), ["path", "op", "value"]);
  deepEqual(knownKeysAt(["tools", "t", "rules", 0, "rate_limit"]), ["max", "window", "per"]);
  deepEqual(knownKeysAt(["nope"]), []);
});

Deno.test("suggest() picks the closest key within a small distance", () => {
  equal(suggest("defualt", ["version", "default", "tools"]), "default");
  equal(suggest("RULES", ["rules"]), "rules");
  equal(suggest("frobnicate", ["action", "reason"]), null);
  equal(suggest("x", []), null);
});
