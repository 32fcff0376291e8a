import assert from "node:assert/strict";
import { ScreenWriter } from "../../tui/screen_writer.ts";

const ESC = "\u001b[";

function writer() {
  const writes: string[] = [];
  const screen = new ScreenWriter((text) => writes.push(text));
  return { screen, writes };
}

Deno.test("ScreenWriter draws a whole frame first, in one write, inside a synchronized update", () => {
  const { screen, writes } = writer();
  screen.open();
  assert.deepEqual(writes, [`${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`]);
  screen.draw(["one", "two"], 10, 3);
  assert.equal(writes.length, 2);
  assert.equal(
    writes[1],
    `${ESC}?2026h${ESC}H${ESC}2J${ESC}1;1H${ESC}2Kone${ESC}2;1H${ESC}2Ktwo${ESC}3;1H${ESC}2K${ESC}?2026l`,
  );
});

Deno.test("ScreenWriter then writes only the lines that changed, and nothing when none did", () => {
  const { screen, writes } = writer();
  screen.open();
  screen.draw(["one", "two", "three"], 10, 3);
  screen.draw(["one", "TWO", "three"], 10, 3);
  assert.equal(writes[2], `${ESC}?2026h${ESC}2;1H${ESC}2KTWO${ESC}?2026l`);
  screen.draw(["one", "TWO", "three"], 10, 3);
  assert.equal(writes.length, 3);
});

Deno.test("ScreenWriter draws everything again after a resize or invalidate()", () => {
  const { screen, writes } = writer();
  screen.open();
  screen.draw(["a", "b"], 10, 2);
  screen.draw(["a", "b"], 12, 2);
  assert.ok(writes[2].includes(`${ESC}2J`) && writes[2].includes("a") && writes[2].includes("b"));
  screen.invalidate();
  screen.draw(["a", "b"], 12, 2);
  assert.equal(writes.length, 4);
});

Deno.test("ScreenWriter draws nothing before open() or after close(), and restores the screen", () => {
  const { screen, writes } = writer();
  screen.draw(["early"], 10, 1);
  assert.deepEqual(writes, []);
  screen.open();
  screen.close();
  screen.close();
  assert.equal(writes.at(-1), `${ESC}0m${ESC}?25h${ESC}?1049l`);
  assert.equal(writes.length, 2);
  screen.draw(["late"], 10, 1);
  assert.equal(writes.length, 2);
});
