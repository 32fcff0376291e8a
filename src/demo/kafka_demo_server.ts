/**
 * The demo upstream: an MCP server over stdio that imitates the Kafka core tools of the
 * Confluent MCP server, on an in-memory cluster. Runs as `intercept demo --server`. Built on
 * `@modelcontextprotocol/server` 2.4.0, it serves both eras: the SDK's `serveStdio` decides from
 * the connection's first message (an `initialize` or a claim-less request: legacy; a request
 * with the 2026-07-28 `_meta` envelope: modern), and every instance it makes shares one store.
 */
import process from "node:process";
import { type CallToolResult, McpServer } from "@modelcontextprotocol/server";
import { serveStdio, StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";
import denoJson from "../../deno.json" with { type: "json" };
import { KafkaError, KafkaStore, type StoredMessage } from "./kafka_store.ts";
import { KAFKA_TOOLS, type KafkaToolArgs, type KafkaToolName } from "./kafka_tools.ts";

/** The cluster the demo pretends to be connected to. */
const CLUSTER_ID = "lkc-demo01";

type ToolResult = CallToolResult;

function reply(text: string, isError = false): ToolResult {
  return { content: [{ type: "text", text }], isError };
}

/** Runs a handler; a Kafka error becomes an error result that starts with `failure`. */
function guarded(failure: string, handler: () => string): ToolResult {
  try {
    return reply(handler());
  } catch (error) {
    if (error instanceof KafkaError) return reply(`${failure}: ${error.message}`, true);
    throw error;
  }
}

/** The server's name, as it gives it in `serverInfo`. */
export const DEMO_SERVER_NAME = "intercept-demo-kafka";

/**
 * A server instance with every tool registered on `store`; `serveStdio` makes one per era the
 * connection opens (a modern probe instance, then the pinned one), all on the same store.
 */
export function createKafkaDemoServer(store: KafkaStore = KafkaStore.seeded()): McpServer {
  const server = new McpServer({ name: DEMO_SERVER_NAME, version: denoJson.version });
  const register = <N extends KafkaToolName>(
    name: N,
    handler: (args: KafkaToolArgs<N>) => ToolResult,
  ) => {
    const { description, inputSchema, annotations } = KAFKA_TOOLS[name];
    // The SDK's overloads cannot follow a generic shape; the schema is the handler's type.
    const schema = z.object(inputSchema) as z.ZodObject;
    const run = handler as (args: unknown) => ToolResult;
    server.registerTool(name, { description, inputSchema: schema, annotations }, run);
  };

  register("list-topics", () => reply(`Kafka topics: ${store.topicNames().join(",")}`));

  register("create-topics", ({ topics }) => {
    const names = topics.map((t) => t.topic).join(",");
    return guarded(`Failed to create Kafka topics (${names})`, () => {
      for (const t of topics) {
        if (t.replicationFactor !== undefined && t.replicationFactor !== 3) {
          throw new KafkaError("Broker: Invalid replication factor (this cluster supports 3)");
        }
        if (store.has(t.topic)) throw new KafkaError(`Topic '${t.topic}' already exists.`);
      }
      for (const t of topics) store.createTopic(t.topic, t.numPartitions ?? 6);
      return `Created Kafka topics: ${names}`;
    });
  });

  register(
    "delete-topics",
    ({ topicNames }) =>
      guarded(`Failed to delete Kafka topics (${topicNames.join(",")})`, () => {
        for (const name of topicNames) store.topic(name);
        for (const name of topicNames) store.deleteTopic(name);
        return `Deleted Kafka topics: ${topicNames.join(",")}`;
      }),
  );

  register("produce-message", (args) => {
    if (args.value.useSchemaRegistry || args.key?.useSchemaRegistry) {
      return reply("Failed to serialize: Schema Registry is not configured on this server", true);
    }
    let timestamp: number | undefined;
    if (args.timestamp !== undefined) {
      const ms = typeof args.timestamp === "number" ? args.timestamp : Date.parse(args.timestamp);
      if (!Number.isFinite(ms) || ms < 0) {
        return reply(`Invalid timestamp '${args.timestamp}': expected a date-time string`, true);
      }
      timestamp = ms;
    }
    return guarded("Failed to produce message", () => {
      const m = store.produce({
        topic: args.topicName,
        value: payload(args.value.message),
        key: args.key === undefined ? undefined : payload(args.key.message),
        partition: args.partition,
        timestamp,
        headers: args.headers,
      });
      return `Message produced successfully to [Topic: ${m.topic}, Partition: ${m.partition}, ` +
        `Offset: ${m.offset}]`;
    });
  });

  register(
    "consume-messages",
    ({ topics, maxMessages }) =>
      guarded("Failed to consume messages", () => {
        const consumed = topics.flatMap((target) => selectMessages(store, target))
          .slice(0, maxMessages)
          .map(describeMessage);
        const names = [...new Set(topics.map((t) => t.name))].join(", ");
        return `Consumed ${consumed.length} messages from topics ${names}.\n` +
          `Consumed messages: ${JSON.stringify(consumed, null, 2)}`;
      }),
  );

  register(
    "get-topic-config",
    ({ topicName }) =>
      guarded("Failed to retrieve topic details", () => {
        const topic = store.topic(topicName);
        const topicDetails = {
          kind: "KafkaTopic",
          cluster_id: CLUSTER_ID,
          topic_name: topic.name,
          is_internal: false,
          replication_factor: topic.replicationFactor,
          partitions_count: topic.partitions.length,
        };
        const data = store.configs(topicName).map((c) => ({
          kind: "KafkaTopicConfig",
          cluster_id: CLUSTER_ID,
          topic_name: topic.name,
          name: c.name,
          value: c.value,
          is_default: c.isDefault,
          is_read_only: false,
          source: c.isDefault ? "DEFAULT_CONFIG" : "DYNAMIC_TOPIC_CONFIG",
        }));
        const topicConfig = { kind: "KafkaTopicConfigList", data };
        return `Topic configuration for '${topicName}':\n` +
          JSON.stringify({ topicDetails, topicConfig }, null, 2);
      }),
  );

  register(
    "alter-topic-config",
    ({ topicName, topicConfigs, validateOnly }) =>
      guarded("Failed to alter topic config", () => {
        store.topic(topicName);
        if (!validateOnly) {
          for (const c of topicConfigs) {
            store.alterConfig(topicName, c.name, c.operation === "DELETE" ? null : c.value);
          }
        }
        const altered = topicConfigs.map((c) => `${c.operation} ${c.name}=${c.value}`).join(", ");
        return `Successfully altered topic config: ${
          JSON.stringify({ topic_name: topicName, validate_only: validateOnly, altered })
        }`;
      }),
  );

  register(
    "create-connector",
    ({ connectorName, connectorConfig }) =>
      guarded(`Failed to create connector ${connectorName}`, () => {
        const connector = store.createConnector(connectorName, connectorConfig);
        return `Successfully created connector ${connectorName}: ` +
          JSON.stringify({
            name: connector.name,
            type: connector.config["connector.class"],
            config: connector.config,
            status: "PROVISIONING",
          });
      }),
  );

  return server;
}

/** A string is sent raw; anything else JSON-encoded, as the real server does. */
function payload(message: unknown): string {
  return typeof message === "string" ? message : JSON.stringify(message);
}

type ConsumeTarget = KafkaToolArgs<"consume-messages">["topics"][number];

function selectMessages(store: KafkaStore, target: ConsumeTarget): StoredMessage[] {
  const messages = store.read(target.name, target.partition);
  const start = target.start;
  if (start === "earliest") return messages;
  if (start === "latest") return [];
  if ("tail" in start) return messages.slice(-start.tail);
  if ("offset" in start) return messages.filter((m) => m.offset >= Number(start.offset));
  const from = typeof start.timestamp === "number" ? start.timestamp : Date.parse(start.timestamp);
  return messages.filter((m) => m.timestamp >= from);
}

function describeMessage(m: StoredMessage) {
  return {
    key: m.key,
    value: m.value,
    timestamp: new Date(m.timestamp).toISOString(),
    offset: String(m.offset),
    headers: m.headers,
    topic: m.topic,
    partition: m.partition,
  };
}

/**
 * Serves MCP on stdin/stdout, either era, until the client closes stdin; returns the exit
 * code.
 */
export async function runKafkaDemoServer(store: KafkaStore = KafkaStore.seeded()): Promise<number> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => process.stdin.once("end", resolve));
  const handle = serveStdio(() => createKafkaDemoServer(store), {
    legacy: "serve",
    transport,
    onerror: (error) => console.error(`intercept demo --server: ${error.message}`),
  });
  await closed;
  await handle.close();
  return 0;
}
