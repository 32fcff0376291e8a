import assert from "node:assert/strict";
import { RateWindow } from "../../tui/rate_window.ts";

const T0 = 1_700_000_000_000;

Deno.test("RateWindow.count() is what happened in the last minute, sliding every 5 s", () => {
  const rate = new RateWindow();
  for (let i = 0; i < 30; i++) rate.record(T0 + i * 1000, T0 + i * 1000);
  assert.equal(rate.count(T0 + 30_000), 30);
  // 60 s after the first events, the oldest 5-second bucket has left the window.
  assert.equal(rate.count(T0 + 60_000), 25);
  assert.equal(rate.count(T0 + 84_999), 5);
  assert.equal(rate.count(T0 + 85_000), 0);
  assert.equal(rate.count(T0 + 200_000), 0);
});

Deno.test("RateWindow.record() ignores events older than the window, and reuses its buckets", () => {
  const rate = new RateWindow();
  rate.record(T0 - 120_000, T0);
  assert.equal(rate.count(T0), 0);
  rate.record(T0, T0);
  rate.record(T0 + 60_000, T0 + 60_000);
  assert.equal(rate.count(T0 + 60_000), 1, "the bucket of a minute ago was reused");
  // A late event for a bucket already reused does not count against the newer one.
  rate.record(T0 + 1, T0 + 60_000);
  assert.equal(rate.count(T0 + 60_000), 1);
});
