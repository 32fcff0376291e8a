/** FairQueues: a shared table's bound that evicts from the principal holding the most. */
import { deepEqual, equal } from "node:assert/strict";
import { FairQueues } from "../../src/proxy/fair_queues.ts";

Deno.test("FairQueues.add() puts out an owner's own oldest past its share", () => {
  const queues = new FairQueues<string>(2, 10);
  deepEqual(queues.add("a", "a1"), []);
  deepEqual(queues.add("b", "b1"), []);
  deepEqual(queues.add("a", "a2"), []);
  deepEqual(queues.add("a", "a3"), ["a1"]);
  equal(queues.size, 3);
});

Deno.test("FairQueues.add() puts out the oldest of the largest owner past the total", () => {
  const queues = new FairQueues<string>(5, 5);
  queues.add("a", "a1");
  for (const item of ["b1", "b2", "b3"]) queues.add("b", item);
  queues.add("c", "c1");
  deepEqual(queues.add("a", "a2"), ["b1"], "b holds the most");
  deepEqual(queues.add("c", "c2"), ["a1"], "a tie goes to the first owner that came");
  equal(queues.size, 5);
});

Deno.test("FairQueues.remove() takes an item out once, and frees its owner's share", () => {
  const queues = new FairQueues<string>(1, 10);
  queues.add("a", "a1");
  equal(queues.remove("a", "a1"), true);
  equal(queues.remove("a", "a1"), false);
  equal(queues.remove("b", "a1"), false);
  deepEqual(queues.add("a", "a2"), []);
  equal(queues.size, 1);
});
