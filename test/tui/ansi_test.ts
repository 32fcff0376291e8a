import assert from "node:assert/strict";
import { colorWanted, styleLine } from "../../tui/ansi.ts";

Deno.test("styleLine() colours segments with the eight standard colours and resets each", () => {
  assert.equal(
    styleLine([{ text: "ok ", colour: "green" }, { text: "plain" }], { color: true }),
    "\u001b[32mok \u001b[39mplain\u001b[0m",
  );
  assert.equal(styleLine([{ text: "plain" }], { color: true }), "plain");
});

Deno.test("styleLine() draws secondary text dim, not grey, so light and dark themes read it", () => {
  assert.equal(
    styleLine([{ text: "12:00", colour: "gray" }], { color: true }),
    "\u001b[2m12:00\u001b[22m\u001b[0m",
  );
  assert.equal(
    styleLine([{ text: "x", dim: true }], { color: false }),
    "\u001b[2mx\u001b[22m\u001b[0m",
  );
});

Deno.test("styleLine() without colour keeps bold and inverse and drops every colour", () => {
  const line = styleLine(
    [{ text: "deny", colour: "red", bold: true }, { text: " echo", colour: "green" }],
    { color: false, inverse: true },
  );
  assert.equal(line, "\u001b[7m\u001b[1mdeny\u001b[22m echo\u001b[0m");
  for (let code = 30; code <= 37; code++) assert.ok(!line.includes(`\u001b[${code}m`));
});

Deno.test("colorWanted() is false when NO_COLOR is set to anything", () => {
  assert.equal(colorWanted(() => undefined), true);
  assert.equal(colorWanted((name) => name === "NO_COLOR" ? "1" : undefined), false);
  assert.equal(colorWanted((name) => name === "NO_COLOR" ? "" : undefined), true);
});
