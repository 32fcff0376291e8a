/** The demo server's in-memory cluster. */
import { deepEqual, equal, throws } from "node:assert/strict";
import { KafkaError, KafkaStore } from "../../src/demo/kafka_store.ts";

Deno.test("KafkaStore.produce() gives each partition its own offsets and keeps a key on one partition", () => {
  const store = new KafkaStore(() => 1_000);
  store.createTopic("t", 3);
  const first = store.produce({ topic: "t", key: "k", value: "a" });
  const second = store.produce({ topic: "t", key: "k", value: "b" });
  equal(second.partition, first.partition);
  deepEqual([first.offset, second.offset], [0, 1]);
  const other = store.produce({ topic: "t", value: "c", partition: (first.partition + 1) % 3 });
  equal(other.offset, 0);
  deepEqual(store.read("t").map((m) => m.value), ["a", "b", "c"]);
  deepEqual(store.read("t", first.partition).map((m) => m.value), ["a", "b"]);
});

Deno.test("KafkaStore refuses unknown topics, duplicates, bad names and partitions", () => {
  const store = new KafkaStore();
  store.createTopic("t", 1);
  throws(() => store.createTopic("t"), KafkaError);
  throws(() => store.createTopic("bad name"), /illegal/);
  throws(() => store.produce({ topic: "nope", value: "x" }), /Unknown topic/);
  throws(() => store.produce({ topic: "t", value: "x", partition: 1 }), /Unknown partition 1/);
  throws(() => store.deleteTopic("nope"), KafkaError);
});

Deno.test("KafkaStore.configs() shows a topic's own settings over the defaults", () => {
  const store = new KafkaStore();
  store.createTopic("t", 1);
  store.alterConfig("t", "retention.ms", "1000");
  const retention = store.configs("t").find((c) => c.name === "retention.ms");
  deepEqual(retention, { name: "retention.ms", value: "1000", isDefault: false });
  store.alterConfig("t", "retention.ms", null);
  equal(store.configs("t").find((c) => c.name === "retention.ms")?.isDefault, true);
});

Deno.test("KafkaStore.seeded() starts with topics and a few messages", () => {
  const store = KafkaStore.seeded();
  deepEqual(store.topicNames(), ["inventory", "orders", "payments"]);
  equal(store.read("orders").length, 2);
});

Deno.test("KafkaStore.createConnector() keeps a connector once, on topics that exist", () => {
  const store = new KafkaStore();
  store.createTopic("orders", 1);
  store.createConnector("archive", { "connector.class": "S3_SINK", topics: "orders" });
  deepEqual(store.connectorNames(), ["archive"]);
  throws(() => store.createConnector("archive", {}), /Connector 'archive' already exists/);
  throws(
    () => store.createConnector("x", { topics: "orders, nope" }),
    (error: Error) => error instanceof KafkaError && /topic "nope"/.test(error.message),
  );
  deepEqual(store.connectorNames(), ["archive"]);
  for (let i = 1; i < 100; i++) store.createConnector(`c${i}`, {});
  throws(() => store.createConnector("one-too-many", {}), /at most 100 connectors/);
});
