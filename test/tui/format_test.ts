import assert from "node:assert/strict";
import {
  fit,
  formatClock,
  formatCount,
  formatDuration,
  oneLine,
  quotaBar,
  titledRule,
  truncate,
} from "../../tui/format.ts";

Deno.test("quotaBar() fills the bar in proportion to what is left", () => {
  assert.equal(quotaBar(15, 30, 10), "█████░░░░░ 15/30");
  assert.equal(quotaBar(30, 30, 6), "██████ 30/30");
  assert.equal(quotaBar(0, 30, 6), "░░░░░░ 0/30");
  assert.equal(quotaBar(3, 6, 6), "███░░░ 3/6");
});

Deno.test("quotaBar() shows a nearly spent quota as one block and a nearly full one short", () => {
  assert.equal(quotaBar(1, 1000, 10), "█░░░░░░░░░ 1/1000");
  assert.equal(quotaBar(999, 1000, 10), "█████████░ 999/1000");
});

Deno.test("quotaBar() clamps impossible values instead of drawing them", () => {
  assert.equal(quotaBar(40, 30, 4), "████ 30/30");
  assert.equal(quotaBar(-2, 30, 4), "░░░░ 0/30");
  assert.equal(quotaBar(5, 0, 4), "░░░░ 0/0");
  assert.equal(quotaBar(Number.NaN, 10, 4), "░░░░ 0/10");
  assert.equal(quotaBar(3, 10, 0), "3/10");
});

Deno.test("formatDuration() reads like an operator would say it", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(12_000), "12s");
  assert.equal(formatDuration(11_001), "12s", "rounds up: the reset has not come yet");
  assert.equal(formatDuration(60_000), "1m");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(5_400_000), "1h30m");
  assert.equal(formatDuration(86_400_000 + 4 * 3_600_000), "1d4h");
});

Deno.test("formatDuration() handles negative, infinite and missing durations", () => {
  assert.equal(formatDuration(-5000), "0s");
  assert.equal(formatDuration(Number.NaN), "?");
  assert.equal(formatDuration(Infinity), "∞");
});

Deno.test("formatClock() gives local HH:MM:SS, and dashes for a bad time", () => {
  assert.equal(formatClock(new Date(2025, 0, 2, 9, 5, 7).getTime()), "09:05:07");
  assert.equal(formatClock(Number.NaN), "--:--:--");
});

Deno.test("truncate() cuts with an ellipsis only when the text is too long", () => {
  assert.equal(truncate("produce-message", 20), "produce-message");
  assert.equal(truncate("produce-message", 15), "produce-message");
  assert.equal(truncate("produce-message", 8), "produce…");
  assert.equal(truncate("produce-message", 1), "…");
  assert.equal(truncate("produce-message", 0), "");
  assert.equal(truncate("produce-message", -3), "");
  assert.equal(truncate("héllo wörld", 6), "héllo…");
});

Deno.test("oneLine() and truncate() keep a reason with line breaks on one line", () => {
  assert.equal(oneLine("a\nb\tc\u001b[31m"), "a b c [31m");
  assert.equal(truncate("line one\nline two", 12), "line one li…");
});

Deno.test("oneLine() shows bidi and zero-width characters as escapes: text reads as it is", () => {
  // U+202E turns the text after it around; U+200B is not seen at all.
  assert.equal(oneLine("to=\u202Eecila\u200B"), "to=\\u202eecila\\u200b");
  assert.equal(truncate("\u202Eot=bob amount=5", 40), "\\u202eot=bob amount=5");
});

Deno.test("fit() pads or cuts to the exact width, either side", () => {
  assert.equal(fit("abc", 5), "abc  ");
  assert.equal(fit("abc", 5, "right"), "  abc");
  assert.equal(fit("abcdef", 4, "right"), "abc…");
});

Deno.test("formatCount() keeps counts within five columns", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(99_999), "99999");
  assert.equal(formatCount(123_456), "123k");
  assert.equal(formatCount(1_234_567), "1.2M");
  assert.equal(formatCount(Number.NaN), "?");
});

Deno.test("titledRule() draws a titled line of exactly the width", () => {
  assert.equal(titledRule("decisions", 20), "── decisions ───────");
  assert.equal(titledRule("a very long title indeed", 10), "── a very…");
});

Deno.test("truncate() turns escape sequences and C1 controls from a proxy into spaces", () => {
  assert.equal(truncate("evil\u001b[2Jtool\u009b31m", 40), "evil [2Jtool 31m");
  assert.equal(truncate("wide 😀 emoji", 7), "wide 😀…");
  assert.equal(fit("😀", 3), "😀  ");
});
