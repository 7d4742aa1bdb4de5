import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  compatibilityPartitioner,
  type Message,
  type MessageToProduce,
  ProduceAcks,
  type ProduceResult,
  Producer,
  stringSerializer,
} from "@platformatic/kafka";
import { PartitionBatcher } from "./batcher.ts";
import { ADMIN_DEADLINE_MS, adminCall } from "./deadline.ts";
import { LogAdminError, LogPublishError } from "./errors.ts";
import { mskIamToken } from "./msk-iam.ts";
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
  LogReader,
  NewTopic,
  OffsetsQuery,
  OutgoingRecord,
  PartitionBatch,
  PartitionOffsets,
  ReadOptions,
  RecordRange,
  TopicDescription,
  TopicPartitionOffsets,
} from "./port.ts";
import { positionsOf } from "./positions.ts";
import {
  type RawFetchRequest,
  type RawFetchTopic,
  rawFetch,
  supportsRawFetch,
} from "./raw-fetch.ts";
import { readRecordBatches } from "./record-batch.ts";

/** Connection options shared by producer, consumer, admin and the partition reader. */
export function connectionOptions(connection: LogConnection, role: string) {
  const region = connection.region ?? process.env.AWS_REGION ?? "us-east-1";
  return {
    clientId: `${connection.clientId}-${role}`,
    bootstrapBrokers: [...connection.brokers],
    ...(connection.auth === "iam"
      ? {
          tls: {},
          sasl: {
            mechanism: "OAUTHBEARER" as const,
            token: async () => (await mskIamToken(region)).token,
          },
        }
      : {}),
  };
}

function headersOf(message: Message<Buffer, Buffer, Buffer, Buffer>): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of message.headers) headers[name.toString("utf8")] = value;
  return headers;
}

function toIncoming(message: Message<Buffer, Buffer, Buffer, Buffer>): IncomingRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    timestamp: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
    headers: headersOf(message),
  };
}

type OutgoingMessage = MessageToProduce<string, Buffer, string, string>;

/** A producer younger than this is not reset again. */
const RESET_AT_MOST_EVERY_MS = 5_000;

class PlatformaticProducer implements LogProducer {
  readonly #connection: LogConnection;
  #producer: Producer<string, Buffer, string, string>;
  #createdAt = Date.now();
  /** The partitioner's raw value per message of a send in flight (before `% partitions`). */
  readonly #assigned = new WeakMap<object, number>();

  constructor(connection: LogConnection) {
    this.#connection = connection;
    this.#producer = this.#create();
  }

  #create(): Producer<string, Buffer, string, string> {
    const connection = this.#connection;
    return new Producer({
      ...connectionOptions(connection, "producer"),
      idempotent: true,
      acks: ProduceAcks.ALL,
      ...(connection.compression === undefined || connection.compression === "none"
        ? {}
        : { compression: connection.compression }),
      // The library's default partitioner hashes keys differently from Java's (and kafkajs's)
      // `murmur2 & 0x7fffffff`: with it, the same aggregate would land on another partition than
      // with any other producer. The compatibility partitioner is Java's.
      partitioner: (message, key) => {
        const raw = compatibilityPartitioner(message, key);
        this.#assigned.set(message, raw);
        return raw;
      },
      serializers: {
        key: stringSerializer,
        headerKey: stringSerializer,
        headerValue: stringSerializer,
      },
      // A few quick retries inside one send (a leader moving, a metadata refresh); the publisher
      // retries whole sends within its own budget (functions/kit/publisher.ts).
      retries: 3,
      retryDelay: 250,
      // The library waits 30 s for an answer by default, and concurrent sends share its metadata
      // and producer-id requests: one request lost on a connection to a dying (or restarting)
      // broker would stall every send for minutes. 8 s fits twice in the publisher's budget.
      requestTimeout: 8_000,
      autocreateTopics: false,
    });
  }

  async reset(): Promise<void> {
    // Concurrent publishes that timed out together reset once, not once each.
    if (Date.now() - this.#createdAt < RESET_AT_MOST_EVERY_MS) return;
    const stale = this.#producer;
    this.#producer = this.#create();
    this.#createdAt = Date.now();
    await stale.close(true).catch(() => undefined);
  }

  async send(records: readonly OutgoingRecord[]): Promise<readonly LogPosition[]> {
    if (records.length === 0) return [];
    const messages: OutgoingMessage[] = records.map((r) => ({
      topic: r.topic,
      key: r.key,
      value: r.value,
      headers: r.headers as Record<string, string>,
      ...(r.timestamp === undefined ? {} : { timestamp: BigInt(r.timestamp) }),
    }));
    const producer = this.#producer;
    let result: ProduceResult;
    try {
      result = await producer.send({ messages });
    } catch (error) {
      throw new LogPublishError([...new Set(records.map((r) => r.topic))], { cause: error });
    }
    // The broker answers with the base offset of each partition's batch; the records of one
    // partition were appended in the order they were sent.
    const partitionCount = (topic: string) =>
      producer.currentMetadata?.topics.get(topic)?.partitionsCount ?? 0;
    return positionsOf(
      messages.map((m) => {
        const count = partitionCount(m.topic);
        const raw = this.#assigned.get(m);
        return { topic: m.topic, partition: raw === undefined || count === 0 ? -1 : raw % count };
      }),
      (result.offsets ?? []).map((o) => ({
        topic: o.topic,
        partition: o.partition,
        baseOffset: o.offset,
      })),
    );
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}

class PlatformaticConsumer implements LogConsumer {
  readonly #connection: LogConnection;
  readonly #options: ConsumerOptions;
  #consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #batcher: PartitionBatcher<Message<Buffer, Buffer, Buffer, Buffer>> | undefined;
  #stopped = false;
  #finish: ((error?: unknown) => void) | undefined;

  constructor(connection: LogConnection, options: ConsumerOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  async run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...connectionOptions(this.#connection, "consumer"),
      groupId: this.#options.groupId,
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 15_000,
      // How long the broker may hold a fetch when there is nothing new: data is returned as soon as
      // it arrives, so a long wait costs no latency and saves idle fetch round trips.
      maxWaitTime: 500,
    });
    this.#consumer = consumer;
    // The client emits on itself what it cannot recover (a group join that failed its retries
    // while the brokers were unreachable): unheard, Node would end the process. It ends this run
    // instead, and the caller starts a new consumer from the committed offsets.
    consumer.on("error", (error: unknown) => {
      if (!this.#stopped) void this.#shutdown().then(() => this.#finish?.(error));
    });
    const stream = await consumer.consume({
      topics: [...this.#options.topics],
      mode: "committed",
      fallbackMode: this.#options.startFrom,
      autocommit: false,
    });
    const done = new Promise<void>((resolve, reject) => {
      this.#finish = (error) => (error === undefined ? resolve() : reject(error));
    });
    const batcher = new PartitionBatcher<Message<Buffer, Buffer, Buffer, Buffer>>({
      maxBatchSize: this.#options.maxBatchSize,
      maxWaitMs: this.#options.maxWaitMs,
      // Each pause/resume of the library's stream costs a new fetch: buffer generously (records
      // are ~1 KB) so a backlog is read in few cycles.
      highWaterMark: Math.max(this.#options.maxBatchSize * 200, 10_000),
      toRecord: toIncoming,
      onBatch: async (batch, messages) => {
        await onBatch(batch);
        await messages[messages.length - 1]?.commit();
      },
      onPressure: (paused) => (paused ? stream.pause() : stream.resume()),
      onError: (error) => {
        void this.#shutdown().then(() => this.#finish?.(error));
      },
    });
    this.#batcher = batcher;
    stream.on("data", (message) => batcher.push(message));
    stream.on("error", (error) => {
      if (!this.#stopped) void this.#shutdown().then(() => this.#finish?.(error));
    });
    return done;
  }

  async #shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#batcher?.drain();
    this.#batcher?.clear();
    await this.#consumer?.close(true).catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.#shutdown();
    this.#finish?.();
  }
}

/** As the library's own defaults for its requests (`retries`, `retryDelay`). */
const FETCH_RETRIES = 3;
const FETCH_RETRY_DELAY_MS = 1_000;

type Broker = Parameters<Consumer<Buffer, Buffer, Buffer, Buffer>["connections"]["get"]>[0];

interface ReadingRange extends RecordRange {
  next: bigint;
}

/** One partition of a fetch, its records read. */
interface FetchedPartition {
  readonly range: ReadingRange;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly records: IncomingRecord[];
  /** The offset after the last whole batch in the response. */
  readonly next: bigint | undefined;
}

/**
 * Group-less reads: one Fetch per broker for all the ranges that broker leads at once, the next
 * fetch sent as soon as a response is parsed (while `onBatch` runs). Record sets are read from
 * the response's bytes ({@link rawFetch}, {@link readRecordBatches}: half the CPU per record of
 * the library's decoder); brokers without Fetch v17 get the library's `fetch`.
 */
class PlatformaticReader implements LogReader {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  #raw: Promise<boolean> | undefined;

  constructor(connection: LogConnection) {
    // A consumer only for its fetch and metadata: it never joins its group.
    this.#consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...connectionOptions(connection, "reader"),
      groupId: `${connection.clientId}-reader`,
      autocommit: false,
    });
  }

  async read(
    ranges: readonly RecordRange[],
    onBatch: (batch: PartitionBatch) => Promise<void> | void,
    options: ReadOptions = {},
  ): Promise<void> {
    const open = ranges.filter((r) => r.to > r.from).map((r) => ({ ...r, next: r.from }));
    if (open.length === 0) return;
    const topics = [...new Set(open.map((r) => r.topic))];
    const metadata = await this.#consumer.metadata({ topics, forceUpdate: true });
    const topicOf = new Map<string, string>();
    const byNode = new Map<number, typeof open>();
    for (const range of open) {
      const topic = metadata.topics.get(range.topic);
      const leader = topic?.partitions[range.partition]?.leader;
      if (topic === undefined || leader === undefined) {
        throw new LogAdminError("read", `${range.topic}:${range.partition}`, {
          cause: new Error("no such topic or partition"),
        });
      }
      topicOf.set(topic.id, range.topic);
      byNode.set(leader, [...(byNode.get(leader) ?? []), range]);
    }
    const partitionMaxBytes = options.partitionMaxBytes ?? 1_048_576;
    this.#raw ??= supportsRawFetch(this.#consumer);
    const raw = await this.#raw;
    await Promise.all(
      [...byNode].map(async ([node, mine]) => {
        const broker = raw ? metadata.brokers.get(node) : undefined;
        const fetchNext = (): Promise<FetchedPartition[]> | undefined => {
          const pending = mine.filter((r) => r.next < r.to);
          if (pending.length === 0 || options.signal?.aborted) return undefined;
          const grouped = new Map<string, typeof pending>();
          for (const r of pending) {
            const id = metadata.topics.get(r.topic)?.id ?? "";
            grouped.set(id, [...(grouped.get(id) ?? []), r]);
          }
          const request = {
            maxWaitMs: 100,
            minBytes: 1,
            maxBytes: partitionMaxBytes * Math.min(pending.length, 16),
            topics: [...grouped].map(([topicId, rs]) => ({
              topicId,
              partitions: rs.map((r) => ({
                partition: r.partition,
                fetchOffset: r.next,
                partitionMaxBytes,
              })),
            })),
          };
          return broker !== undefined
            ? this.#fetchRaw(broker, request).then((topics) => this.#readRaw(topics, topicOf, mine))
            : this.#fetchDecoded(node, request, topicOf, mine);
        };
        let inFlight = fetchNext();
        while (inFlight !== undefined) {
          const batches: PartitionBatch[] = [];
          for (const part of await inFlight) {
            const { range } = part;
            if (part.errorCode !== 0) {
              throw new LogAdminError("read", `${range.topic}:${range.partition}`, {
                cause: new Error(`fetch error code ${part.errorCode}`),
              });
            }
            if (part.next !== undefined && part.next > range.next) {
              range.next = part.next > range.to ? range.to : part.next;
            }
            // Nothing more to read: the range goes past the partition's end.
            if (range.next >= part.highWatermark) range.next = range.to;
            if (part.records.length > 0) {
              batches.push({
                topic: range.topic,
                partition: range.partition,
                records: part.records,
              });
            }
          }
          inFlight = fetchNext();
          for (const batch of batches) await onBatch(batch);
        }
      }),
    );
  }

  /**
   * A raw fetch retried as the library retries its own (a network error or a timeout on a busy
   * machine: up to {@link FETCH_RETRIES} more times, {@link FETCH_RETRY_DELAY_MS} apart, on a
   * connection taken from the pool again).
   */
  async #fetchRaw(broker: Broker, request: RawFetchRequest): Promise<RawFetchTopic[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await rawFetch(await this.#consumer.connections.get(broker), request);
      } catch (error) {
        const retriable = (error as { canRetry?: unknown }).canRetry === true;
        if (!retriable || attempt >= FETCH_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, FETCH_RETRY_DELAY_MS));
      }
    }
  }

  /** The lean path: record sets read from the response's bytes ({@link readRecordBatches}). */
  #readRaw(
    topics: readonly RawFetchTopic[],
    topicOf: ReadonlyMap<string, string>,
    mine: readonly ReadingRange[],
  ): FetchedPartition[] {
    const out: FetchedPartition[] = [];
    for (const topicResponse of topics) {
      const topic = topicOf.get(topicResponse.topicId) ?? "";
      for (const part of topicResponse.partitions) {
        const range = mine.find((r) => r.topic === topic && r.partition === part.partition);
        if (range === undefined) continue;
        const records: IncomingRecord[] = [];
        const { next } =
          part.errorCode === 0 && part.records !== undefined
            ? readRecordBatches(part.records, topic, range.partition, range.next, range.to, records)
            : { next: undefined };
        out.push({
          range,
          errorCode: part.errorCode,
          highWatermark: part.highWatermark,
          records,
          next,
        });
      }
    }
    return out;
  }

  /** The library's fetch, for brokers without Fetch v17. */
  async #fetchDecoded(
    node: number,
    request: RawFetchRequest,
    topicOf: ReadonlyMap<string, string>,
    mine: readonly ReadingRange[],
  ): Promise<FetchedPartition[]> {
    const response = await this.#consumer.fetch({
      node,
      minBytes: request.minBytes,
      maxBytes: request.maxBytes,
      maxWaitTime: request.maxWaitMs,
      topics: request.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          ...p,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        })),
      })),
    });
    const out: FetchedPartition[] = [];
    for (const topicResponse of response.responses) {
      const topic = topicOf.get(topicResponse.topicId) ?? "";
      for (const part of topicResponse.partitions) {
        const range = mine.find((r) => r.topic === topic && r.partition === part.partitionIndex);
        if (range === undefined) continue;
        const records: IncomingRecord[] = [];
        let next: bigint | undefined;
        for (const batch of part.errorCode === 0 ? (part.records ?? []) : []) {
          const isControl = (batch.attributes & 0x20) !== 0;
          for (const record of isControl ? [] : batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (offset < range.next || offset >= range.to) continue;
            const headers: Record<string, Buffer> = {};
            for (const [k, v] of record.headers) {
              if (k !== null && v !== null) headers[k.toString("utf8")] = v;
            }
            records.push({
              topic,
              partition: range.partition,
              offset: offset.toString(),
              timestamp: Number(batch.firstTimestamp + record.timestampDelta),
              key: record.key,
              value: record.value,
              headers,
            });
          }
          next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        }
        out.push({
          range,
          errorCode: part.errorCode,
          highWatermark: part.highWatermark,
          records,
          next,
        });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#consumer.close().catch(() => undefined);
  }
}

class PlatformaticAdmin implements LogAdmin {
  readonly #admin: Admin;

  readonly #deadlineMs: number;

  constructor(connection: LogConnection) {
    this.#deadlineMs = connection.adminDeadlineMs ?? ADMIN_DEADLINE_MS;
    this.#admin = new Admin({ ...connectionOptions(connection, "admin"), autocreateTopics: false });
  }

  #wrap<T>(
    operation: string,
    subject: string,
    fn: () => Promise<T>,
    deadlineMs = this.#deadlineMs,
  ): Promise<T> {
    return adminCall(operation, subject, fn, deadlineMs);
  }

  listTopics(): Promise<string[]> {
    return this.#wrap("list topics", "", () => this.#admin.listTopics());
  }

  describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    return this.#wrap("describe topics", names.join(","), async () => {
      if (names.length === 0) return [];
      const metadata = await this.#admin.metadata({ topics: [...names] });
      const configs = await this.#admin.describeConfigs({
        resources: names.map((name) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: name,
          configurationKeys: null,
        })),
      });
      return names.map((name) => {
        const topic = metadata.topics.get(name);
        if (topic === undefined) throw new Error(`topic ${name} does not exist`);
        const described = configs.find((c) => c.resourceName === name);
        const values: Record<string, string> = {};
        for (const entry of described?.configs ?? []) {
          if (typeof entry.value === "string") values[entry.name] = entry.value;
        }
        return {
          name,
          partitions: topic.partitionsCount,
          replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
          configs: values,
        };
      });
    });
  }

  createTopics(topics: readonly NewTopic[]): Promise<void> {
    return this.#wrap(
      "create topics",
      topics.map((t) => t.name).join(","),
      async () => {
        for (const topic of topics) {
          await this.#admin.createTopics({
            topics: [topic.name],
            partitions: topic.partitions,
            replicas: topic.replicationFactor,
            configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
          });
        }
        await this.#waitForLeaders(topics.map((t) => t.name));
      },
      // Topics are created one after the other, each waited for until it has a leader.
      this.#deadlineMs * (topics.length + 1),
    );
  }

  /**
   * CreateTopics returns once the controller created them; the brokers learn of them a little
   * later (seconds on a loaded machine), and a producer asking in between is told "Unknown
   * topic" and gives up. So: wait until the metadata lists every partition with a leader.
   */
  async #waitForLeaders(names: readonly string[], timeoutMs = 60_000): Promise<void> {
    if (names.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await this.#admin
        .metadata({ topics: [...names], forceUpdate: true })
        .then((m) =>
          names.every(
            (name) => m.topics.get(name)?.partitions.every((p) => p.leader >= 0) === true,
          ),
        )
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) {
        throw new Error(
          `topics ${names.join(",")} have no leader ${timeoutMs / 1000} s after creation`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  createPartitions(topic: string, totalPartitions: number): Promise<void> {
    return this.#wrap("create partitions", topic, () =>
      this.#admin.createPartitions({
        topics: [{ name: topic, count: totalPartitions, assignments: [] }],
      }),
    );
  }

  alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    return this.#wrap("alter configs of", topic, () =>
      this.#admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: Object.entries(configs).map(([name, value]) => ({
              name,
              configOperation: 0,
              value,
            })),
          },
        ],
      }),
    );
  }

  deleteTopics(names: readonly string[]): Promise<void> {
    return this.#wrap("delete topics", names.join(","), () =>
      this.#admin.deleteTopics({ topics: [...names] }),
    );
  }

  topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.#wrap("list offsets of", topic, async () => {
      const metadata = await this.#admin.metadata({ topics: [topic] });
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      const partitions = Array.from({ length: count }, (_, i) => i);
      const [low, high] = await Promise.all(
        [-2n, -1n].map((timestamp) =>
          this.#admin.listOffsets({
            topics: [
              {
                name: topic,
                partitions: partitions.map((p) => ({ partitionIndex: p, timestamp })),
              },
            ],
          }),
        ),
      );
      const offsetOf = (listed: typeof low, partition: number) =>
        String(listed?.[0]?.partitions.find((p) => p.partitionIndex === partition)?.offset ?? 0n);
      return partitions.map((partition) => ({
        partition,
        low: offsetOf(low, partition),
        high: offsetOf(high, partition),
      }));
    });
  }

  offsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: string }[]> {
    return this.#wrap("find offsets by time in", topic, async () => {
      const ends = await this.topicOffsets(topic);
      const listed = await this.#admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: ends.map((e) => ({
              partitionIndex: e.partition,
              timestamp: BigInt(timestampMs),
            })),
          },
        ],
      });
      return ends.map((end) => {
        const found = listed[0]?.partitions.find((p) => p.partitionIndex === end.partition);
        const offset = found === undefined || found.offset < 0n ? end.high : String(found.offset);
        return { partition: end.partition, offset };
      });
    });
  }

  listOffsets(query: OffsetsQuery): Promise<TopicPartitionOffsets[]> {
    return this.#wrap("list offsets of", query.topics.join(","), async () => {
      if (query.topics.length === 0) return [];
      // One request when every topic exists; else the ones that do (a second look).
      let topics = [...query.topics];
      const metadata = await this.#admin.metadata({ topics }).catch(async () => {
        const existing = new Set(await this.listTopics());
        topics = topics.filter((t) => existing.has(t));
        return this.#admin.metadata({ topics });
      });
      const wanted = topics.flatMap((topic) => {
        const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
        if (count === 0) return [];
        const all = Array.from({ length: count }, (_, i) => i);
        return [{ topic, partitions: query.partitions?.(topic, count) ?? all }];
      });
      if (wanted.length === 0) return [];
      // One ListOffsets per kind of offset (earliest, latest, each time), all in flight at once.
      const kinds = [-2n, -1n, ...(query.timesMs ?? []).map((t) => BigInt(Math.floor(t)))];
      const listed = await Promise.all(
        kinds.map((timestamp) =>
          this.#admin.listOffsets({
            topics: wanted.map((w) => ({
              name: w.topic,
              partitions: w.partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
            })),
          }),
        ),
      );
      const offsetOf = (kind: number, topic: string, partition: number) =>
        listed[kind]
          ?.find((t) => t.name === topic)
          ?.partitions.find((p) => p.partitionIndex === partition)?.offset;
      return wanted.flatMap((w) =>
        w.partitions.map((partition) => {
          const high = String(offsetOf(1, w.topic, partition) ?? 0n);
          return {
            topic: w.topic,
            partition,
            low: String(offsetOf(0, w.topic, partition) ?? 0n),
            high,
            atTimes: kinds.slice(2).map((_, i) => {
              const found = offsetOf(i + 2, w.topic, partition);
              return found === undefined || found < 0n ? high : String(found);
            }),
          };
        }),
      );
    });
  }

  groupOffsets(groupId: string, topics: readonly string[]): Promise<GroupOffset[]> {
    return this.#wrap("list offsets of group", groupId, async () => {
      const result: GroupOffset[] = [];
      const partitionsByTopic = new Map<string, number>();
      const metadata = await this.#admin.metadata({ topics: [...topics] });
      for (const topic of topics) {
        partitionsByTopic.set(topic, metadata.topics.get(topic)?.partitionsCount ?? 0);
      }
      const listed = await this.#admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: topics.map((name) => ({
              name,
              partitionIndexes: Array.from(
                { length: partitionsByTopic.get(name) ?? 0 },
                (_, i) => i,
              ),
            })),
          },
        ],
      });
      for (const topic of listed[0]?.topics ?? []) {
        for (const p of topic.partitions) {
          result.push({
            topic: topic.name,
            partition: p.partitionIndex,
            offset: p.committedOffset < 0n ? null : String(p.committedOffset),
          });
        }
      }
      return result;
    });
  }

  setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    return this.#wrap("move offsets of group", groupId, () =>
      this.#admin.alterConsumerGroupOffsets({
        groupId,
        topics: [
          {
            name: topic,
            partitionOffsets: offsets.map((o) => ({
              partition: o.partition,
              offset: BigInt(o.offset),
            })),
          },
        ],
      }),
    );
  }

  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#wrap("describe group", groupId, async () => {
      const groups = await this.#admin.describeGroups({ groups: [groupId] });
      const group = groups.get(groupId);
      return {
        groupId,
        state: group?.state ?? "Dead",
        members: group?.members.size ?? 0,
      };
    });
  }

  listGroups(): Promise<string[]> {
    return this.#wrap("list groups", "", async () => [...(await this.#admin.listGroups()).keys()]);
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.#wrap("delete groups", groupIds.join(","), async () => {
      if (groupIds.length > 0) await this.#admin.deleteGroups({ groups: [...groupIds] });
    });
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}

/** The `@platformatic/kafka` adapter (the default). */
export function platformaticClient(connection: LogConnection): LogClient {
  return {
    name: "platformatic",
    connection,
    producer: () => new PlatformaticProducer(connection),
    consumer: (options) => new PlatformaticConsumer(connection, options),
    reader: () => new PlatformaticReader(connection),
    admin: () => new PlatformaticAdmin(connection),
  };
}
