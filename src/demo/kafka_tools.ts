/**
 * The demo server's tools: the names, argument schemas, descriptions and annotations of the
 * Kafka core tools of `@confluentinc/mcp-confluent` 1.5.0 (its dist/confluent/tools/handlers/
 * kafka/), and its `create-connector` (arguments as the bundled policy lists them), so that a
 * policy written for the real server applies unchanged.
 */
import { z } from "zod";

const READ_ONLY = { readOnlyHint: true };
const CREATE_UPDATE = { destructiveHint: false, readOnlyHint: false };
const DESTRUCTIVE = { destructiveHint: true, readOnlyHint: false };

const clusterArgs = {
  cluster_id: z.string().optional().describe(
    "Confluent Cloud logical Kafka cluster ID (lkc-...). Discover via list-clusters.",
  ),
  environment_id: z.string().optional().describe(
    "Confluent Cloud environment ID (env-...) that owns the cluster. Discover via list-environments.",
  ),
};

/** The REST-based tools spell the cluster arguments in camelCase, as the real server does. */
const restClusterArgs = {
  clusterId: clusterArgs.cluster_id,
  environmentId: clusterArgs.environment_id,
};

const messageOptions = z.object({
  message: z.union([z.object({}).passthrough(), z.string(), z.number(), z.boolean()]).describe(
    "The payload to produce. Without schema registry, a string is sent raw and anything else " +
      "is JSON-encoded.",
  ),
  useSchemaRegistry: z.boolean().optional().default(false)
    .describe("If true, use schema registry for serialization. If false, send as raw string/JSON."),
  schemaType: z.enum(["AVRO", "JSON", "PROTOBUF"]).optional()
    .describe("Schema type to use. If omitted, sends as raw string/JSON."),
  schema: z.string().optional().describe("Schema definition to register."),
  messageName: z.string().optional()
    .describe("Fully-qualified Protobuf message type. Required when schemaType is PROTOBUF."),
  subject: z.string().optional()
    .describe("Schema Registry subject. Defaults to {topicName}-value or {topicName}-key."),
  normalize: z.boolean().optional(),
  schemaIdLocation: z.enum(["payload", "header"]).optional().default("payload")
    .describe("Where the Schema Registry schema identifier is written on the wire."),
});

const startOption = z.union([
  z.literal("earliest"),
  z.literal("latest"),
  z.strictObject({ offset: z.string().regex(/^\d+$/) }),
  z.strictObject({ timestamp: z.union([z.string(), z.number().int().nonnegative()]) }),
  z.strictObject({ tail: z.number().int().positive() }),
]).describe("Where to begin consuming this topic: 'earliest' (default), 'latest', {tail: N}, ...");

const formatOptions = z.object({
  disableSchemaRegistry: z.boolean().optional().default(false),
  subject: z.string().optional(),
}).optional().default({ disableSchemaRegistry: false });

export const KAFKA_TOOLS = {
  "list-topics": {
    description: "List all topics in the Kafka cluster.",
    inputSchema: { ...clusterArgs },
    annotations: READ_ONLY,
  },
  "create-topics": {
    description:
      "Create one or more Kafka topics with an optional partition count and replication factor.",
    inputSchema: {
      topics: z.array(z.object({
        topic: z.string().describe("Name of the Kafka topic to create"),
        numPartitions: z.number().int().positive().optional()
          .describe(
            "Number of partitions for the topic. If not specified, the broker default is used.",
          ),
        replicationFactor: z.number().int().positive().optional()
          .describe(
            "Replication factor for the topic. If not specified, the broker default is used.",
          ),
      })).nonempty(),
      ...clusterArgs,
    },
    annotations: CREATE_UPDATE,
  },
  "delete-topics": {
    description: "Delete the topic with the given names.",
    inputSchema: {
      topicNames: z.array(z.string().describe("Names of kafka topics to delete")).nonempty(),
      ...clusterArgs,
    },
    annotations: DESTRUCTIVE,
  },
  "produce-message": {
    description: "Produce records to a Kafka topic. Supports Confluent Schema Registry " +
      "serialization (AVRO, JSON, PROTOBUF) for both key and value, plus optional record-level " +
      "partition, timestamp, and headers. If the topic does not exist, it can be created via " +
      "the create-topics tool.",
    inputSchema: {
      topicName: z.string().nonempty().describe(
        "Name of the kafka topic to produce the message to",
      ),
      value: messageOptions,
      key: messageOptions.optional(),
      ...clusterArgs,
      partition: z.number().int().min(0).optional().describe("Target partition number."),
      timestamp: z.union([z.string(), z.number().int().min(0)]).optional()
        .describe("Record timestamp: a date-time string or ms since the epoch."),
      headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional()
        .describe("Kafka record headers as a map of name to a string or array of strings."),
    },
    annotations: CREATE_UPDATE,
  },
  "consume-messages": {
    description: "Consume messages from Kafka topics. Optionally restrict to a partition, start " +
      "from an offset, timestamp, earliest, latest, or tailmost pre-existing messages.",
    inputSchema: {
      topics: z.array(z.object({
        name: z.string().min(1).describe("Kafka topic name to consume from."),
        partition: z.number().int().nonnegative().optional()
          .describe("Optional. Restrict consumption to this partition (0-indexed)."),
        start: startOption.optional().default("earliest"),
      })).nonempty().describe('Topics to consume from, e.g. [{name: "orders"}].'),
      maxMessages: z.number().int().positive().optional().default(10)
        .describe("Maximum number of messages to consume before stopping."),
      timeoutMs: z.number().int().positive().optional().default(10000)
        .describe("Maximum time in milliseconds to wait for messages before stopping."),
      valueFormat: formatOptions.describe("VALUE format."),
      keyFormat: formatOptions.describe("KEY format."),
      ...clusterArgs,
    },
    annotations: READ_ONLY,
  },
  "get-topic-config": {
    description: "Retrieve configuration details for a specific Kafka topic.",
    inputSchema: {
      topicName: z.string().describe("Name of the topic to get configuration for").nonempty(),
      ...restClusterArgs,
    },
    annotations: READ_ONLY,
  },
  "alter-topic-config": {
    description: "Alter topic configuration in Confluent Cloud.",
    inputSchema: {
      topicName: z.string().describe("Name of the topic to alter").nonempty(),
      topicConfigs: z.array(z.object({
        name: z.string().describe("Configuration parameter name").nonempty(),
        value: z.string().describe("Configuration parameter value"),
        operation: z.enum(["SET", "DELETE"]).describe("Operation type"),
      })).nonempty(),
      validateOnly: z.boolean().default(false),
      ...restClusterArgs,
    },
    annotations: CREATE_UPDATE,
  },
  "create-connector": {
    description: "Create a new connector. Returns the new connector information if successful.",
    inputSchema: {
      ...restClusterArgs,
      connectorName: z.string().nonempty().describe("Name of the connector to create"),
      connectorConfig: z.object({
        "connector.class": z.string().nonempty()
          .describe("The connector plugin, e.g. S3_SINK or PostgresSource"),
      }).catchall(z.string()).describe(
        "The connector's configuration: string settings, connector.class first",
      ),
    },
    annotations: CREATE_UPDATE,
  },
} as const;

export type KafkaToolName = keyof typeof KAFKA_TOOLS;

/** The parsed arguments of `name`, as the server's handler receives them. */
export type KafkaToolArgs<N extends KafkaToolName> = z.infer<
  z.ZodObject<(typeof KAFKA_TOOLS)[N]["inputSchema"]>
>;
