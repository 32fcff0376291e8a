/**
 * What the simulated agent does, one pass: reads, a topic, a few writes, a burst into the write
 * limit, a call missing a required argument, a destructive call, a read of what it wrote, and a
 * new connector (the demo's policy holds it for a human).
 */

export interface ScriptCall {
  tool: string;
  args: Record<string, unknown>;
}

export interface ScriptStep {
  /** What the step shows, for a person watching. */
  label: string;
  calls: ScriptCall[];
  /** The calls follow each other fast (a burst), not at the agent's pace. */
  burst?: boolean;
}

/** Calls in the burst: more than the bundled policy's 30 writes a minute. */
export const BURST_CALLS = 32;

const SKUS = ["KB-42", "MS-07", "HD-11", "CB-03", "MN-27"];

function order(n: number): Record<string, unknown> {
  return {
    topicName: "orders",
    key: { message: `order-${2000 + n}` },
    value: { message: { sku: SKUS[n % SKUS.length], qty: 1 + (n % 3), source: "demo-agent" } },
  };
}

function connector(pass: number): Record<string, unknown> {
  return {
    connectorName: `orders-s3-archive-${pass + 1}`,
    connectorConfig: {
      "connector.class": "S3_SINK",
      topics: "orders",
      "s3.bucket.name": "demo-orders-archive",
      "tasks.max": "1",
    },
  };
}

/** The steps of pass `pass` (0, 1, ...): names differ per pass so creates keep working. */
export function agentScript(pass: number): ScriptStep[] {
  const scratch = `clickstream-${pass + 1}`;
  const base = pass * (3 + BURST_CALLS);
  return [
    { label: "Look around: which topics are there", calls: [{ tool: "list-topics", args: {} }] },
    {
      label: `Create a topic for its own events (${scratch})`,
      calls: [{
        tool: "create-topics",
        args: { topics: [{ topic: scratch, numPartitions: 3 }] },
      }],
    },
    {
      label: "Write a few orders",
      calls: [0, 1, 2].map((i) => ({ tool: "produce-message", args: order(base + i) })),
    },
    {
      label: "Read the orders topic's settings",
      calls: [{ tool: "get-topic-config", args: { topicName: "orders" } }],
    },
    {
      label: `A burst of ${BURST_CALLS} writes, into produce-message's rate limit`,
      burst: true,
      calls: Array.from(
        { length: BURST_CALLS },
        (_, i) => ({ tool: "produce-message", args: order(base + 3 + i) }),
      ),
    },
    {
      label: "A write without topicName: the policy checks it against the tool's schema",
      calls: [{ tool: "produce-message", args: { value: { message: "where does this go?" } } }],
    },
    {
      label: "Tidy up by deleting topics: a destructive tool",
      calls: [{ tool: "delete-topics", args: { topicNames: [scratch, "payments"] } }],
    },
    {
      label: "Read the orders back",
      calls: [{ tool: "consume-messages", args: { topics: [{ name: "orders" }], maxMessages: 5 } }],
    },
    {
      label: "Archive the orders to S3 with a new connector: a human must approve it",
      calls: [{ tool: "create-connector", args: connector(pass) }],
    },
  ];
}
