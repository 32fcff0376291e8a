/**
 * The demo Kafka server (`intercept demo --server`) over stdio, through the real SDK clients: the
 * v1 client (legacy era) and the v2 client pinned to 2026-07-28 (modern era).
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type ClientKind, connectAs, type TestClient } from "../e2e/clients.ts";
import { interceptArgv } from "../e2e/intercept_command.ts";
import { markedEnv } from "./support.ts";

const KINDS: { kind: ClientKind; era: TestClient["era"] }[] = [
  { kind: "v1", era: "legacy" },
  { kind: "v2-modern", era: "modern" },
];

interface TextResult {
  content: { type: string; text: string }[];
  isError?: boolean;
}

/** Runs `test` against a fresh server (a fresh store) through a client of `kind`. */
async function withServer(
  kind: ClientKind,
  era: TestClient["era"],
  test: (client: TestClient) => Promise<void>,
): Promise<void> {
  const client = await connectAs(kind, interceptArgv(["demo", "--server"]), {
    env: markedEnv(crypto.randomUUID()),
    stderr: "inherit",
  });
  try {
    equal(client.era, era);
    await test(client);
  } finally {
    await client.close();
  }
}

async function call(client: TestClient, name: string, args: Record<string, unknown>) {
  const result = await client.callTool(name, args) as unknown as TextResult;
  return { text: result.content.map((c) => c.text).join("\n"), isError: result.isError === true };
}

for (const { kind, era } of KINDS) {
  Deno.test(`demo server (${era} era) lists the Confluent Kafka tools with their schemas and annotations`, async () => {
    await withServer(kind, era, async (client) => {
      const { tools } = await client.sdk.listTools();
      // deno-lint-ignore no-explicit-any
      const byName = new Map<string, any>(tools.map((tool: { name: string }) => [tool.name, tool]));
      deepEqual([...byName.keys()].sort(), [
        "alter-topic-config",
        "consume-messages",
        "create-connector",
        "create-topics",
        "delete-topics",
        "get-topic-config",
        "list-topics",
        "produce-message",
      ]);
      const schema = (name: string) => byName.get(name).inputSchema;
      deepEqual(schema("produce-message").required.sort(), ["topicName", "value"]);
      deepEqual(schema("produce-message").properties.value.required, ["message"]);
      deepEqual(schema("create-topics").required, ["topics"]);
      deepEqual(schema("create-topics").properties.topics.items.required, ["topic"]);
      deepEqual(schema("delete-topics").required, ["topicNames"]);
      deepEqual(schema("consume-messages").required, ["topics"]);
      deepEqual(schema("consume-messages").properties.topics.items.required, ["name"]);
      deepEqual(schema("alter-topic-config").required.sort(), ["topicConfigs", "topicName"]);
      deepEqual(schema("get-topic-config").required, ["topicName"]);
      deepEqual(byName.get("list-topics").annotations, { readOnlyHint: true });
      deepEqual(byName.get("delete-topics").annotations, {
        destructiveHint: true,
        readOnlyHint: false,
      });
      deepEqual(byName.get("produce-message").annotations, {
        destructiveHint: false,
        readOnlyHint: false,
      });
    });
  });

  Deno.test(`demo server (${era} era): a produced message is consumed back`, async () => {
    await withServer(kind, era, async (client) => {
      const created = await call(client, "create-topics", {
        topics: [{ topic: "t1", numPartitions: 1 }],
      });
      equal(created.text, "Created Kafka topics: t1");
      const produced = await call(client, "produce-message", {
        topicName: "t1",
        key: { message: "k1" },
        value: { message: { hello: "world" } },
        headers: { source: "test" },
      });
      equal(produced.text, "Message produced successfully to [Topic: t1, Partition: 0, Offset: 0]");
      const consumed = await call(client, "consume-messages", { topics: [{ name: "t1" }] });
      equal(consumed.isError, false);
      match(consumed.text, /^Consumed 1 messages from topics t1\.\nConsumed messages: /);
      const messages = JSON.parse(consumed.text.slice(consumed.text.indexOf("[")));
      equal(messages.length, 1);
      equal(messages[0].key, "k1");
      equal(messages[0].value, '{"hello":"world"}');
      equal(messages[0].offset, "0");
      deepEqual(messages[0].headers, { source: "test" });
      const latest = await call(client, "consume-messages", {
        topics: [{ name: "t1", start: "latest" }],
      });
      match(latest.text, /^Consumed 0 messages/);
    });
  });

  Deno.test(`demo server (${era} era): delete-topics removes a topic, and then it is unknown`, async () => {
    await withServer(kind, era, async (client) => {
      match((await call(client, "list-topics", {})).text, /^Kafka topics: .*payments/);
      equal(
        (await call(client, "delete-topics", { topicNames: ["payments"] })).text,
        "Deleted Kafka topics: payments",
      );
      ok(!(await call(client, "list-topics", {})).text.includes("payments"));
      const again = await call(client, "delete-topics", { topicNames: ["payments"] });
      equal(again.isError, true);
      match(again.text, /^Failed to delete Kafka topics \(payments\): .*Unknown topic/);
      const produce = await call(client, "produce-message", {
        topicName: "payments",
        value: { message: "x" },
      });
      equal(produce.isError, true);
      match(produce.text, /^Failed to produce message: .*Unknown topic/);
    });
  });

  Deno.test(`demo server (${era} era): topic settings are read and altered; bad calls are errors`, async () => {
    await withServer(kind, era, async (client) => {
      const altered = await call(client, "alter-topic-config", {
        topicName: "orders",
        topicConfigs: [{ name: "retention.ms", value: "3600000", operation: "SET" }],
      });
      match(altered.text, /^Successfully altered topic config: /);
      const read = await call(client, "get-topic-config", { topicName: "orders" });
      const config = JSON.parse(read.text.slice(read.text.indexOf("{")));
      equal(config.topicDetails.partitions_count, 6);
      const retention = config.topicConfig.data.find((c: { name: string }) =>
        c.name === "retention.ms"
      );
      equal(retention.value, "3600000");
      equal(retention.is_default, false);
      const exists = await call(client, "create-topics", { topics: [{ topic: "orders" }] });
      equal(exists.isError, true);
      match(exists.text, /already exists/);
      const missing = await call(client, "produce-message", { value: { message: "x" } });
      equal(missing.isError, true);
      match(missing.text, /topicName/);
    });
  });

  Deno.test(`demo server (${era} era) creates a connector on existing topics, once`, async () => {
    await withServer(kind, era, async (client) => {
      const config = { "connector.class": "S3_SINK", topics: "orders", "tasks.max": "1" };
      const made = await call(client, "create-connector", {
        connectorName: "orders-archive",
        connectorConfig: config,
      });
      equal(made.isError, false);
      match(made.text, /^Successfully created connector orders-archive: .*"status":"PROVISIONING"/);
      const again = await call(client, "create-connector", {
        connectorName: "orders-archive",
        connectorConfig: config,
      });
      deepEqual(again, {
        text:
          "Failed to create connector orders-archive: Connector 'orders-archive' already exists.",
        isError: true,
      });
      const unknown = await call(client, "create-connector", {
        connectorName: "nowhere",
        connectorConfig: { "connector.class": "S3_SINK", topics: "no-such-topic" },
      });
      equal(unknown.isError, true);
      match(unknown.text, /Unknown topic or partition \(topic "no-such-topic"\)/);
    });
  });
}
