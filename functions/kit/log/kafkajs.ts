import type { Admin, Consumer, KafkaConfig, Producer } from "kafkajs";
import kafkajs from "kafkajs";
import { ADMIN_DEADLINE_MS, adminCall } from "./deadline.ts";
import { LogPublishError } from "./errors.ts";
import { groupRangeReader } from "./group-reader.ts";
import { mskIamToken } from "./msk-iam.ts";
import { positionsOf } from "./positions.ts";

// kafkajs is CommonJS without static named exports: take them from the default export.
const { CompressionTypes, ConfigResourceTypes, Kafka, logLevel, Partitioners } = kafkajs;

import { listOffsetsPerTopic } from "./offsets-query.ts";
import type {
  ConsumerOptions,
  GroupDescription,
  GroupOffset,
  IncomingRecord,
  LogAdmin,
  LogClient,
  LogConnection,
  LogConsumer,
  LogPosition,
  LogProducer,
  NewTopic,
  OffsetsQuery,
  OutgoingRecord,
  PartitionBatch,
  PartitionOffsets,
  TopicDescription,
  TopicPartitionOffsets,
} from "./port.ts";

function kafkaFor(connection: LogConnection, role: string): InstanceType<typeof Kafka> {
  const region = connection.region ?? process.env.AWS_REGION ?? "us-east-1";
  const config: KafkaConfig = {
    clientId: `${connection.clientId}-${role}`,
    brokers: [...connection.brokers],
    logLevel: logLevel.ERROR,
    ...(connection.auth === "iam"
      ? {
          ssl: true,
          sasl: {
            mechanism: "oauthbearer",
            oauthBearerProvider: async () => ({ value: (await mskIamToken(region)).token }),
          },
        }
      : {}),
  };
  return new Kafka(config);
}

class KafkajsProducer implements LogProducer {
  readonly #connection: LogConnection;
  #producer: Producer;
  #createdAt = Date.now();
  #connected: Promise<void> | undefined;
  /** The partition the partitioner chose per message of a send in flight. */
  readonly #assigned = new WeakMap<object, number>();

  constructor(connection: LogConnection) {
    this.#connection = connection;
    this.#producer = this.#create();
  }

  #create(): Producer {
    return kafkaFor(this.#connection, "producer").producer({
      idempotent: true,
      // kafkajs keeps sequence numbers right only with one request in flight per broker.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: () => {
        const partitioner = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = partitioner(args);
          this.#assigned.set(args.message, partition);
          return partition;
        };
      },
    });
  }

  async reset(): Promise<void> {
    // Concurrent publishes that timed out together reset once, not once each.
    if (Date.now() - this.#createdAt < 5_000) return;
    const stale = this.#producer;
    const wasConnected = this.#connected !== undefined;
    this.#producer = this.#create();
    this.#createdAt = Date.now();
    this.#connected = undefined;
    if (wasConnected) await stale.disconnect().catch(() => undefined);
  }

  async send(records: readonly OutgoingRecord[]): Promise<readonly LogPosition[]> {
    if (records.length === 0) return [];
    const producer = this.#producer;
    this.#connected ??= producer.connect();
    const connected = this.#connected;
    const messages = records.map((r) => ({
      topic: r.topic,
      message: {
        key: r.key,
        value: r.value,
        headers: { ...r.headers },
        ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
      },
    }));
    const byTopic = new Map<string, (typeof messages)[number]["message"][]>();
    for (const { topic, message } of messages) {
      const list = byTopic.get(topic) ?? [];
      list.push(message);
      byTopic.set(topic, list);
    }
    let metadata: Awaited<ReturnType<Producer["sendBatch"]>>;
    try {
      await connected;
      metadata = await producer.sendBatch({
        acks: -1,
        // kafkajs compresses with gzip only (the others need codec plugins it does not ship): with
        // another codec asked, this benchmark adapter sends uncompressed batches.
        ...(this.#connection.compression === "gzip" ? { compression: CompressionTypes.GZIP } : {}),
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
      });
    } catch (error) {
      throw new LogPublishError([...byTopic.keys()], { cause: error });
    }
    return positionsOf(
      messages.map(({ topic, message }) => ({
        topic,
        partition: this.#assigned.get(message) ?? -1,
      })),
      metadata.flatMap((m) =>
        m.baseOffset === undefined
          ? []
          : [{ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset }],
      ),
    );
  }

  async close(): Promise<void> {
    if (this.#connected !== undefined) await this.#producer.disconnect();
  }
}

class KafkajsConsumer implements LogConsumer {
  readonly #consumer: Consumer;
  readonly #options: ConsumerOptions;
  #finish: ((error?: unknown) => void) | undefined;

  constructor(connection: LogConnection, options: ConsumerOptions) {
    this.#options = options;
    this.#consumer = kafkaFor(connection, "consumer").consumer({
      groupId: options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 15_000,
      // See the platformatic adapter: the broker answers at once when data arrives.
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
  }

  async run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({
      topics: [...this.#options.topics],
      fromBeginning: this.#options.startFrom === "earliest",
    });
    const done = new Promise<void>((resolve, reject) => {
      this.#finish = (error) => (error === undefined ? resolve() : reject(error));
    });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const messages = batch.messages;
        for (let start = 0; start < messages.length; start += this.#options.maxBatchSize) {
          if (!isRunning() || isStale()) return;
          const chunk = messages.slice(start, start + this.#options.maxBatchSize);
          const records: IncomingRecord[] = chunk.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            timestamp: Number(m.timestamp),
            key: m.key,
            value: m.value,
            headers: Object.fromEntries(
              Object.entries(m.headers ?? {}).flatMap(([k, v]) =>
                v === undefined ? [] : [[k, Buffer.isBuffer(v) ? v : Buffer.from(String(v))]],
              ),
            ),
          }));
          try {
            await onBatch({ topic: batch.topic, partition: batch.partition, records });
          } catch (error) {
            void this.stop().then(() => this.#finish?.(error));
            return;
          }
          const last = chunk[chunk.length - 1];
          if (last === undefined) continue;
          resolveOffset(last.offset);
          await this.#consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: String(BigInt(last.offset) + 1n),
            },
          ]);
          await heartbeat();
        }
      },
    });
    return done;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
    this.#finish?.();
  }
}

class KafkajsAdmin implements LogAdmin {
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;

  readonly #deadlineMs: number;

  constructor(connection: LogConnection) {
    this.#deadlineMs = connection.adminDeadlineMs ?? ADMIN_DEADLINE_MS;
    this.#admin = kafkaFor(connection, "admin").admin();
  }

  #wrap<T>(
    operation: string,
    subject: string,
    fn: () => Promise<T>,
    deadlineMs = this.#deadlineMs,
  ): Promise<T> {
    return adminCall(
      operation,
      subject,
      async () => {
        this.#connected ??= this.#admin.connect();
        await this.#connected;
        return await fn();
      },
      deadlineMs,
    );
  }

  listTopics(): Promise<string[]> {
    return this.#wrap("list topics", "", () => this.#admin.listTopics());
  }

  describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    return this.#wrap("describe topics", names.join(","), async () => {
      if (names.length === 0) return [];
      const { topics } = await this.#admin.fetchTopicMetadata({ topics: [...names] });
      const { resources } = await this.#admin.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
      });
      return names.map((name) => {
        const topic = topics.find((t) => t.name === name);
        if (topic === undefined) throw new Error(`topic ${name} does not exist`);
        const entries = resources.find((r) => r.resourceName === name)?.configEntries ?? [];
        return {
          name,
          partitions: topic.partitions.length,
          replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
          configs: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
        };
      });
    });
  }

  createTopics(topics: readonly NewTopic[]): Promise<void> {
    return this.#wrap(
      "create topics",
      topics.map((t) => t.name).join(","),
      async () => {
        await this.#admin.createTopics({
          waitForLeaders: true,
          topics: topics.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
            configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
          })),
        });
      },
      // Topics are created one after the other, each waited for until it has a leader.
      this.#deadlineMs * (topics.length + 1),
    );
  }

  createPartitions(topic: string, totalPartitions: number): Promise<void> {
    return this.#wrap("create partitions", topic, async () => {
      await this.#admin.createPartitions({ topicPartitions: [{ topic, count: totalPartitions }] });
    });
  }

  alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    return this.#wrap("alter configs of", topic, async () => {
      // AlterConfigs replaces the whole set: merge with what is there (dynamic values only).
      const { resources } = await this.#admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      });
      const current = (resources[0]?.configEntries ?? []).filter((e) => !e.isDefault);
      const merged = new Map(current.map((e) => [e.configName, e.configValue]));
      for (const [name, value] of Object.entries(configs)) merged.set(name, value);
      await this.#admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [...merged].map(([name, value]) => ({ name, value })),
          },
        ],
      });
    });
  }

  deleteTopics(names: readonly string[]): Promise<void> {
    return this.#wrap("delete topics", names.join(","), () =>
      this.#admin.deleteTopics({ topics: [...names] }),
    );
  }

  topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.#wrap("list offsets of", topic, async () => {
      const offsets = await this.#admin.fetchTopicOffsets(topic);
      return offsets
        .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  offsetsAtTime(topic: string, timestampMs: number) {
    return this.#wrap("find offsets by time in", topic, async () => {
      const [found, ends] = await Promise.all([
        this.#admin.fetchTopicOffsetsByTimestamp(topic, timestampMs),
        this.#admin.fetchTopicOffsets(topic),
      ]);
      return found
        .map((f) => ({
          partition: f.partition,
          offset:
            BigInt(f.offset) < 0n
              ? (ends.find((e) => e.partition === f.partition)?.high ?? "0")
              : f.offset,
        }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  listOffsets(query: OffsetsQuery): Promise<TopicPartitionOffsets[]> {
    return listOffsetsPerTopic(this, query);
  }
  groupOffsets(groupId: string, topics: readonly string[]): Promise<GroupOffset[]> {
    return this.#wrap("list offsets of group", groupId, async () => {
      const fetched = await this.#admin.fetchOffsets({ groupId, topics: [...topics] });
      return fetched.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.topic,
          partition: p.partition,
          offset: BigInt(p.offset) < 0n ? null : p.offset,
        })),
      );
    });
  }

  setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    return this.#wrap("move offsets of group", groupId, () =>
      this.#admin.setOffsets({ groupId, topic, partitions: [...offsets] }),
    );
  }

  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#wrap("describe group", groupId, async () => {
      const { groups } = await this.#admin.describeGroups([groupId]);
      const group = groups[0];
      return { groupId, state: group?.state ?? "Dead", members: group?.members.length ?? 0 };
    });
  }

  listGroups(): Promise<string[]> {
    return this.#wrap("list groups", "", async () =>
      (await this.#admin.listGroups()).groups.map((g) => g.groupId),
    );
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.#wrap("delete groups", groupIds.join(","), async () => {
      if (groupIds.length > 0) await this.#admin.deleteGroups([...groupIds]);
    });
  }

  async close(): Promise<void> {
    if (this.#connected !== undefined) await this.#admin.disconnect();
  }
}

/** The kafkajs adapter (kept for comparison; last kafkajs release: February 2023). */
export function kafkajsClient(connection: LogConnection): LogClient {
  return {
    name: "kafkajs",
    producer: () => new KafkajsProducer(connection),
    consumer: (options) => new KafkajsConsumer(connection, options),
    reader: () => {
      const admin = new KafkajsAdmin(connection);
      const reader = groupRangeReader(
        { consumer: (options) => new KafkajsConsumer(connection, options) },
        admin,
        `${connection.clientId}-reader`,
      );
      return { read: reader.read, close: () => admin.close() };
    },
    admin: () => new KafkajsAdmin(connection),
  };
}
