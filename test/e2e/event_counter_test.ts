import { equal, rejects } from "node:assert/strict";
import { EventCounter } from "./event_counter.ts";

Deno.test("EventCounter.waitFor() resolves at the n-th event, at once when already there", async () => {
  const counter = new EventCounter("pings");
  const second = counter.waitFor(2);
  counter.add();
  counter.add();
  await second;
  await counter.waitFor(1);
  equal(counter.count, 2);
});

Deno.test("EventCounter.waitFor() rejects after its timeout, naming what it awaited", async () => {
  const counter = new EventCounter("pings");
  counter.add();
  await rejects(counter.waitFor(3, 10), /Only 1 of 3 pings within 10 ms/);
});
