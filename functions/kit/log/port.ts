/**
 * The log port: the small surface Duplex needs from a Kafka client. Two adapters implement it
 * (`@platformatic/kafka`, the default, and kafkajs); the choice and the measurements behind it are
 * in `docs/kafka-client.md`. Nothing outside `functions/kit/log/` imports a Kafka library.
 */

/** A record to append to the log. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The record's log time (Unix ms, Kafka's CreateTime); the producer's clock when absent. Only
   * history writers (the benchmark's generator) set it, so time queries see a realistic spread.
   */
  readonly timestamp?: number;
}

/** A record read from the log. Offsets are decimal strings (Kafka offsets are 64-bit). */
export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
}

/** Consecutive records of one partition, in log order. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly IncomingRecord[];
}

/** Where the log put one record: what the broker acknowledged. */
export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  /** Decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
}

/**
 * Appends records. `send` resolves only when every record is acknowledged by all in-sync replicas
 * (acks=all) through an idempotent producer, so a retried send never duplicates and order per
 * partition holds. It resolves with the position of each record, in the order of `records` (the
 * history checker compares them with what it reads back from the log).
 */
export interface LogProducer {
  send(records: readonly OutgoingRecord[]): Promise<readonly LogPosition[]>;
  /**
   * Drops the client's connections and producer state, so that the next send starts afresh (the
   * publisher calls it when a send went unanswered: a client that lost track of a request after
   * an outage must not hold every later send). Sends still in flight fail.
   */
  reset?(): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group without committed offsets starts. */
  readonly startFrom: "earliest" | "latest";
  /** Most records handed over in one batch. */
  readonly maxBatchSize: number;
  /** How long to wait for a batch to fill before handing over what there is. */
  readonly maxWaitMs: number;
}

/**
 * Reads a consumer group's share of the topics as per-partition batches. The batch's offsets are
 * committed after `onBatch` resolves; if it rejects, nothing is committed and the consumer stops
 * (at-least-once: a restart re-reads the batch). Batches of one partition never overlap.
 */
export interface LogConsumer {
  run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void>;
  /** Stops fetching, waits for in-flight batches, leaves the group. */
  stop(): Promise<void>;
}

/** Offsets `[from, to)` of one partition. */
export interface RecordRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** Bytes fetched per partition per request (default 1 MiB). */
  readonly partitionMaxBytes?: number;
}

/**
 * Reads exact offset ranges of partitions, without a consumer group (no join, no commits, no
 * rebalance): what a rebuild, a trace or a temporal query needs. Partitions are fetched together;
 * `onBatch` gets consecutive records of one partition in log order and is awaited before that
 * partition is fetched further (bounded memory). A range past the end of its partition stops at
 * the end.
 */
export interface LogReader {
  read(
    ranges: readonly RecordRange[],
    onBatch: (batch: PartitionBatch) => Promise<void> | void,
    options?: ReadOptions,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface NewTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** First offset still in the log. */
  readonly low: string;
  /** Offset the next record will get (the end of the log). */
  readonly high: string;
}

/** What {@link LogAdmin.listOffsets} looks up, for many topics at once. */
export interface OffsetsQuery {
  readonly topics: readonly string[];
  /** The partitions wanted of a topic of `count` partitions (default: all of them). */
  readonly partitions?: (topic: string, count: number) => readonly number[];
  /** Log times (epoch ms) to turn into offsets. */
  readonly timesMs?: readonly number[];
}

/** One partition's offsets, from {@link LogAdmin.listOffsets}. */
export interface TopicPartitionOffsets extends PartitionOffsets {
  readonly topic: string;
  /**
   * Per `timesMs` (same order), the first offset whose timestamp is at or after that time, or
   * the high offset when there is none.
   */
  readonly atTimes: readonly string[];
}

export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  /** Committed offset (next to read), or `null` when the group never committed here. */
  readonly offset: string | null;
}

export interface GroupDescription {
  readonly groupId: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead, ... */
  readonly state: string;
  readonly members: number;
}

/** Topic and consumer-group administration. */
export interface LogAdmin {
  listTopics(): Promise<string[]>;
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  createPartitions(topic: string, totalPartitions: number): Promise<void>;
  alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void>;
  deleteTopics(names: readonly string[]): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is at or after `timestampMs` (or the end). */
  offsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: string }[]>;
  /**
   * Low, high and time offsets of many topics' partitions in one go (where the client can: one
   * metadata request and one ListOffsets per kind of offset, for every topic and partition), so
   * a query pays a couple of round trips instead of a few per topic. Topics that do not exist
   * are left out.
   */
  listOffsets(query: OffsetsQuery): Promise<TopicPartitionOffsets[]>;
  groupOffsets(groupId: string, topics: readonly string[]): Promise<GroupOffset[]>;
  setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  listGroups(): Promise<string[]>;
  /** Deletes consumer groups that have no members (e.g. the kafkajs range reader's short-lived groups). */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** How to reach the brokers. */
export interface LogConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** `iam`: TLS + SASL/OAUTHBEARER with an MSK IAM token; `none`: plaintext (local). */
  readonly auth: "iam" | "none";
  /** Region for the MSK IAM signer. */
  readonly region?: string;
  /**
   * Codec of the producer's record batches. Every consumer of the log reads them: the Java client
   * inside Lambda's MSK event source mapping, `@platformatic/kafka` (host, reader) and the broker,
   * which keeps the producer's codec (`compression.type=producer`, Kafka's default).
   *
   * @default "none"
   */
  readonly compression?: LogCompression;
  /**
   * How long one admin operation (offsets, metadata, topic changes) may take before it fails
   * with a `LogAdminError` caused by a `LogAdminTimeoutError` (topic creation: this per topic,
   * plus this once).
   *
   * @default 60000
   */
  readonly adminDeadlineMs?: number;
}

/** Record-batch codecs Kafka defines. */
export const LOG_COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type LogCompression = (typeof LOG_COMPRESSIONS)[number];

/** A Kafka client behind the port. */
export interface LogClient {
  /** The Kafka client behind it, or `log-operations` (the operators' function, remotely). */
  readonly name: "platformatic" | "kafkajs" | "log-operations";
  /**
   * How this client reaches the brokers, when another thread can open its own client with it
   * (the rebuild reads and decodes on a worker thread); absent for the operators' function.
   */
  readonly connection?: LogConnection;
  producer(): LogProducer;
  consumer(options: ConsumerOptions): LogConsumer;
  reader(): LogReader;
  admin(): LogAdmin;
}
