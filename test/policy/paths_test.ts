/** parsePath and formatPath. */
import { deepEqual, equal } from "node:assert/strict";
import { EVERY } from "../../src/policy/compiled.ts";
import { formatPath, parsePath } from "../../src/policy/paths.ts";

Deno.test("parsePath() reads dotted names, indexes, [*] and quoted keys", () => {
  deepEqual(parsePath("args.a.b"), { kind: "args", steps: ["a", "b"] });
  deepEqual(parsePath("args.list[0].x"), { kind: "args", steps: ["list", 0, "x"] });
  deepEqual(parsePath("args.list[*].x"), { kind: "args", steps: ["list", EVERY, "x"] });
  deepEqual(parsePath(`args["a.b"]`), { kind: "args", steps: ["a.b"] });
  deepEqual(parsePath(`args["say \\"hi\\""]`), { kind: "args", steps: [`say "hi"`] });
  deepEqual(parsePath("args[0]"), { kind: "args", steps: [0] });
});

Deno.test("parsePath() reads state.<tool>.<counter>, tool names with dots included", () => {
  deepEqual(parsePath("state.create_charge.daily_spend"), {
    kind: "state",
    counterId: "create_charge.daily_spend",
  });
  deepEqual(parsePath("state._global.calls"), { kind: "state", counterId: "_global.calls" });
  deepEqual(parsePath("state.github.create.n"), { kind: "state", counterId: "github.create.n" });
});

Deno.test("parsePath() names what is wrong with a bad path", () => {
  equal(parsePath("arg.x"), `Path "arg.x" must start with "args." or "state."`);
  equal(parsePath("x"), `Path "x" must start with "args." or "state."`);
  equal(parsePath("args"), `Path "args" must name an argument, such as args.topicName`);
  equal(parsePath("args."), `Path "args.": expected a name after "." at character 5`);
  equal(parsePath("args.a..b"), `Path "args.a..b": expected a name after "." at character 7`);
  equal(parsePath("args.a[0"), `Path "args.a[0": "[" at character 7 is not closed`);
  equal(
    parsePath("args.a[-1]"),
    `Path "args.a[-1]": "[-1]" must be an index ([0]), [*] or a quoted key (["a.b"])`,
  );
  equal(parsePath("args.a]"), `Path "args.a]": unexpected "]" at character 7`);
  equal(
    parsePath("state.calls"),
    `Path "state.calls" must name a counter as state.<tool>.<counter>`,
  );
  equal(parsePath("state.a."), `Path "state.a." must name a counter as state.<tool>.<counter>`);
});

Deno.test("formatPath() writes steps back as a path", () => {
  equal(formatPath(["a", 0, EVERY, "b"]), "args.a[0][*].b");
  equal(formatPath(["a.b"]), `args["a.b"]`);
});
