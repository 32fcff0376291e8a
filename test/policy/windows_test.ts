/** parseWindow, parseRateShorthand, checkMax and formatDuration. */
import { deepEqual, equal, match } from "node:assert/strict";
import {
  checkMax,
  formatDuration,
  MAX_QUOTA,
  parseRateShorthand,
  parseWindow,
} from "../../src/policy/windows.ts";

Deno.test("parseWindow() reads seconds, durations and unit names", () => {
  const cases: [number | string, number][] = [
    [60, 60_000],
    [0.5, 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["minute", 60_000],
    ["hour", 3_600_000],
    ["day", 86_400_000],
    [" 2 Hours ", 7_200_000],
    ["250ms", 250],
    ["31d", 31 * 86_400_000],
  ];
  for (const [input, ms] of cases) equal(parseWindow(input), ms, String(input));
});

Deno.test("parseWindow() rejects zero, negative, unknown units and out-of-range windows", () => {
  equal(parseWindow(0), "Window 0 must be a positive number of seconds");
  equal(parseWindow(-5), "Window -5 must be a positive number of seconds");
  equal(
    parseWindow(Number.POSITIVE_INFINITY),
    "Window Infinity must be a positive number of seconds",
  );
  match(parseWindow("5y") as string, /^Cannot parse window "5y"/);
  match(parseWindow("") as string, /^Cannot parse window ""/);
  equal(parseWindow("0s"), `Window "0s" must be longer than zero`);
  equal(parseWindow("32d"), `Window "32d" is longer than the 31-day maximum`);
  equal(parseWindow(0.0001), "Window 0.0001 is shorter than a millisecond");
});

Deno.test("parseRateShorthand() reads COUNT/WINDOW", () => {
  deepEqual(parseRateShorthand("30/minute"), { max: 30, windowMs: 60_000 });
  deepEqual(parseRateShorthand("5/hour"), { max: 5, windowMs: 3_600_000 });
  deepEqual(parseRateShorthand("100/day"), { max: 100, windowMs: 86_400_000 });
  deepEqual(parseRateShorthand(" 100 / 30s "), { max: 100, windowMs: 30_000 });
});

Deno.test("parseRateShorthand() explains what it cannot read", () => {
  equal(
    parseRateShorthand("30/fortnight"),
    `Cannot parse rate_limit "30/fortnight": window must be second, minute, hour or day, ` +
      `or a duration such as 30s`,
  );
  equal(
    parseRateShorthand("thirty/minute"),
    `Cannot parse rate_limit "thirty/minute": write it as COUNT/WINDOW, such as "30/minute"`,
  );
  match(parseRateShorthand("0/minute") as string, /max must be a whole number of at least 1/);
  match(parseRateShorthand("2000000/minute") as string, /max must be at most 1,000,000/);
});

Deno.test("checkMax() accepts whole numbers from 1 to MAX_QUOTA only", () => {
  equal(checkMax(1), null);
  equal(checkMax(MAX_QUOTA), null);
  equal(checkMax(0), "max must be a whole number of at least 1");
  equal(checkMax(2.5), "max must be a whole number of at least 1");
  equal(checkMax(MAX_QUOTA + 1), "max must be at most 1,000,000");
});

Deno.test("formatDuration() writes compact durations, rounding up", () => {
  equal(formatDuration(0), "0ms");
  equal(formatDuration(-5), "0ms");
  equal(formatDuration(999.2), "1000ms");
  equal(formatDuration(1_000), "1s");
  equal(formatDuration(1_001), "2s");
  equal(formatDuration(60_000), "1m");
  equal(formatDuration(90_000), "1m30s");
  equal(formatDuration(3_600_000), "1h");
  equal(formatDuration(86_400_000 + 61_000), "1d1m1s");
});
