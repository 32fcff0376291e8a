/**
 * The demo server's Kafka cluster, in memory: topics with partitions, offsets and settings.
 * Plain data and synchronous methods, so tests can drive it without a server.
 */

export interface StoredMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | undefined;
  value: string;
  timestamp: number;
  headers: Record<string, string | string[]> | undefined;
  /** Order of production across the cluster. */
  seq: number;
}

export interface Topic {
  name: string;
  partitions: StoredMessage[][];
  /** Offsets are never reused, also after old messages are dropped. */
  nextOffsets: number[];
  replicationFactor: number;
  configs: Map<string, string>;
}

export interface ProduceInput {
  topic: string;
  value: string;
  key?: string;
  partition?: number;
  timestamp?: number;
  headers?: Record<string, string | string[]>;
}

export class KafkaError extends Error {
  override name = "KafkaError";
}

/** Default topic settings, as a Confluent Cloud cluster reports them. */
export const DEFAULT_CONFIGS: Readonly<Record<string, string>> = {
  "cleanup.policy": "delete",
  "compression.type": "producer",
  "max.message.bytes": "2097164",
  "min.insync.replicas": "2",
  "retention.bytes": "-1",
  "retention.ms": "604800000",
  "segment.bytes": "104857600",
};

/** Messages kept per partition; older ones are dropped, as retention would. */
const RETAINED_PER_PARTITION = 1_000;
const MAX_TOPIC_NAME = 249;

/** A connector: its plugin and its settings (a demo keeps them, and runs nothing). */
export interface Connector {
  name: string;
  config: Record<string, string>;
}

/** Connectors kept, at most. */
const MAX_CONNECTORS = 100;

export class KafkaStore {
  #topics = new Map<string, Topic>();
  #connectors = new Map<string, Connector>();
  #roundRobin = 0;
  #seq = 0;

  constructor(readonly now: () => number = Date.now) {}

  /** A cluster with a few topics and messages, so the first reads have something to show. */
  static seeded(now: () => number = Date.now): KafkaStore {
    const store = new KafkaStore(now);
    store.createTopic("orders", 6);
    store.createTopic("payments", 3);
    store.createTopic("inventory", 1);
    store.produce({ topic: "orders", key: "order-1001", value: '{"sku":"KB-42","qty":1}' });
    store.produce({ topic: "orders", key: "order-1002", value: '{"sku":"MS-07","qty":2}' });
    store.produce({ topic: "payments", key: "order-1001", value: '{"amount":49.9,"ok":true}' });
    return store;
  }

  topicNames(): string[] {
    return [...this.#topics.keys()].sort();
  }

  topic(name: string): Topic {
    const topic = this.#topics.get(name);
    if (!topic) throw new KafkaError(`Broker: Unknown topic or partition (topic "${name}")`);
    return topic;
  }

  has(name: string): boolean {
    return this.#topics.has(name);
  }

  createTopic(name: string, numPartitions = 6, replicationFactor = 3): void {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.length > MAX_TOPIC_NAME || /^\.+$/.test(name)) {
      throw new KafkaError(`Topic name "${name}" is illegal: use letters, digits, ".", "_", "-"`);
    }
    if (this.#topics.has(name)) throw new KafkaError(`Topic '${name}' already exists.`);
    this.#topics.set(name, {
      name,
      partitions: Array.from({ length: numPartitions }, () => []),
      nextOffsets: Array.from({ length: numPartitions }, () => 0),
      replicationFactor,
      configs: new Map(),
    });
  }

  deleteTopic(name: string): void {
    this.topic(name);
    this.#topics.delete(name);
  }

  produce(input: ProduceInput): StoredMessage {
    const topic = this.topic(input.topic);
    const count = topic.partitions.length;
    if (input.partition !== undefined && input.partition >= count) {
      throw new KafkaError(`Broker: Unknown partition ${input.partition} (topic has ${count})`);
    }
    const partition = input.partition ??
      (input.key === undefined ? this.#roundRobin++ % count : hash(input.key) % count);
    const message: StoredMessage = {
      topic: topic.name,
      partition,
      offset: topic.nextOffsets[partition]++,
      key: input.key,
      value: input.value,
      timestamp: input.timestamp ?? this.now(),
      headers: input.headers,
      seq: this.#seq++,
    };
    const log = topic.partitions[partition];
    log.push(message);
    if (log.length > RETAINED_PER_PARTITION) log.shift();
    return message;
  }

  /** The retained messages of `name`, oldest first (of one partition when given). */
  read(name: string, partition?: number): StoredMessage[] {
    const topic = this.topic(name);
    const logs = partition === undefined ? topic.partitions : [topic.partitions[partition] ?? []];
    return logs.flat().sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
  }

  /** Every setting: the topic's own ones over the defaults. */
  configs(name: string): { name: string; value: string; isDefault: boolean }[] {
    const topic = this.topic(name);
    const names = new Set([...Object.keys(DEFAULT_CONFIGS), ...topic.configs.keys()]);
    return [...names].sort().map((key) => ({
      name: key,
      value: topic.configs.get(key) ?? DEFAULT_CONFIGS[key],
      isDefault: !topic.configs.has(key),
    }));
  }

  /** Records a connector; its `topics` setting must name topics that exist. */
  createConnector(name: string, config: Record<string, string>): Connector {
    if (this.#connectors.has(name)) throw new KafkaError(`Connector '${name}' already exists.`);
    if (this.#connectors.size >= MAX_CONNECTORS) {
      throw new KafkaError(`This cluster holds at most ${MAX_CONNECTORS} connectors`);
    }
    for (const topic of (config.topics ?? "").split(",").map((t) => t.trim()).filter(Boolean)) {
      this.topic(topic);
    }
    const connector = { name, config: { ...config } };
    this.#connectors.set(name, connector);
    return connector;
  }

  connectorNames(): string[] {
    return [...this.#connectors.keys()].sort();
  }

  alterConfig(name: string, key: string, value: string | null): void {
    const topic = this.topic(name);
    if (value === null) topic.configs.delete(key);
    else topic.configs.set(key, value);
  }
}

/** A stable hash for the key partitioner (FNV-1a). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
