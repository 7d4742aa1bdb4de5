import {
  LogAdminError,
  LogPublishError,
  OffsetOutOfRangeError,
} from "../../../functions/kit/log/errors.ts";
import { listOffsetsPerTopic } from "../../../functions/kit/log/offsets-query.ts";
import type {
  ConsumerOptions,
  GroupDescription,
  GroupOffset,
  LogAdmin,
  LogClient,
  LogConsumer,
  LogPosition,
  LogProducer,
  LogReader,
  OffsetsQuery,
  OutgoingRecord,
  PartitionBatch,
  PartitionOffsets,
  ReadOptions,
  RecordRange,
  TopicDescription,
  TopicPartitionOffsets,
} from "../../../functions/kit/log/port.ts";
import {
  incomingFromWire,
  type LogOperation,
  MAX_PAGE_RECORDS,
  MAX_PRODUCE_BYTES,
  outgoingToWire,
  type WirePartitionPage,
} from "../../../functions/log-operations/protocol.ts";
import type { LogOperationsInvoker } from "./invokers.ts";

/**
 * The log port over the `log-operations` function, for a CLI that cannot reach the brokers (MSK
 * is in private subnets without a path in): every admin call is one invocation; a producer sends
 * records in invocations of at most 3 MB; the reader reads exact ranges a page at a time by
 * position (no consumer group); a consumer reads pages by position and commits its group's
 * offsets through the function (the group never has members). Every `duplex` command works
 * unchanged on top of it.
 */

type Call = <T>(operation: LogOperation) => Promise<T>;

function caller(invoker: LogOperationsInvoker): Call {
  return async <T>(operation: LogOperation): Promise<T> => {
    const response = await invoker.invoke(operation);
    if (response.ok) return response.result as T;
    const { error } = response;
    if (error.name === "OffsetOutOfRange") {
      throw new OffsetOutOfRangeError(
        error.topic ?? "?",
        error.partition ?? -1,
        "?",
        error.logStartOffset ?? "0",
      );
    }
    if (error.name === "LogPublishError") {
      throw new LogPublishError(
        operation.op === "produce" ? [...new Set(operation.records.map((r) => r.topic))] : [],
        { cause: new Error(error.message) },
      );
    }
    throw new LogAdminError(`${operation.op} through ${invoker.label}`, "", {
      cause: new Error(`${error.name}: ${error.message}`),
    });
  };
}

/** Splits records into sends of at most `budget` bytes, in order. */
export function chunkBySize(
  records: readonly OutgoingRecord[],
  budget: number,
): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let current: OutgoingRecord[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = record.key.length + record.value.length;
    if (current.length > 0 && size + bytes > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

class RemoteAdmin implements LogAdmin {
  readonly #call: Call;
  constructor(call: Call) {
    this.#call = call;
  }
  listTopics(): Promise<string[]> {
    return this.#call({ op: "listTopics" });
  }
  describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    return this.#call({ op: "describeTopics", names: [...names] });
  }
  async createTopics(topics: Parameters<LogAdmin["createTopics"]>[0]): Promise<void> {
    await this.#call({
      op: "createTopics",
      topics: topics.map((t) => ({ ...t, configs: { ...t.configs } })),
    });
  }
  async createPartitions(topic: string, totalPartitions: number): Promise<void> {
    await this.#call({ op: "createPartitions", topic, totalPartitions });
  }
  async alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>) {
    await this.#call({ op: "alterTopicConfigs", topic, configs: { ...configs } });
  }
  async deleteTopics(names: readonly string[]): Promise<void> {
    await this.#call({ op: "deleteTopics", names: [...names] });
  }
  topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.#call({ op: "topicOffsets", topic });
  }
  offsetsAtTime(topic: string, timestampMs: number) {
    return this.#call<{ partition: number; offset: string }[]>({
      op: "offsetsAtTime",
      topic,
      timestampMs,
    });
  }
  listOffsets(query: OffsetsQuery): Promise<TopicPartitionOffsets[]> {
    return listOffsetsPerTopic(this, query);
  }
  groupOffsets(groupId: string, topics: readonly string[]): Promise<GroupOffset[]> {
    return this.#call({ op: "groupOffsets", groupId, topics: [...topics] });
  }
  async setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    await this.#call({ op: "setGroupOffsets", groupId, topic, offsets: [...offsets] });
  }
  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#call({ op: "describeGroup", groupId });
  }
  listGroups(): Promise<string[]> {
    return this.#call({ op: "listGroups" });
  }
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length > 0) await this.#call({ op: "deleteGroups", groupIds: [...groupIds] });
  }
  async close(): Promise<void> {}
}

class RemoteProducer implements LogProducer {
  readonly #call: Call;
  constructor(call: Call) {
    this.#call = call;
  }
  async send(records: readonly OutgoingRecord[]): Promise<readonly LogPosition[]> {
    const positions: LogPosition[] = [];
    // One invocation after the other: order per partition holds across them.
    for (const chunk of chunkBySize(records, MAX_PRODUCE_BYTES)) {
      const answer = await this.#call<{ positions: readonly LogPosition[] }>({
        op: "produce",
        records: chunk.map(outgoingToWire),
      });
      positions.push(...answer.positions);
    }
    return positions;
  }
  async close(): Promise<void> {}
}

interface Position {
  readonly topic: string;
  readonly partition: number;
  offset: bigint;
}

class RemoteConsumer implements LogConsumer {
  readonly #call: Call;
  readonly #admin: RemoteAdmin;
  readonly #options: ConsumerOptions;
  #stopped = false;
  #running: Promise<void> | undefined;
  #wake: () => void = () => undefined;
  readonly #pending = new Map<string, Map<number, bigint>>();

  constructor(call: Call, options: ConsumerOptions) {
    this.#call = call;
    this.#admin = new RemoteAdmin(call);
    this.#options = options;
  }

  run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    this.#running = this.#loop(onBatch);
    return this.#running;
  }

  async #start(): Promise<Position[]> {
    const positions: Position[] = [];
    for (const topic of this.#options.topics) {
      const [ends, committed] = await Promise.all([
        this.#admin.topicOffsets(topic),
        this.#admin.groupOffsets(this.#options.groupId, [topic]),
      ]);
      for (const end of ends) {
        const at = committed.find((c) => c.partition === end.partition)?.offset ?? null;
        const fallback = this.#options.startFrom === "earliest" ? end.low : end.high;
        positions.push({ topic, partition: end.partition, offset: BigInt(at ?? fallback) });
      }
    }
    return positions;
  }

  async #loop(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    const positions = await this.#start();
    let lastCommit = Date.now();
    while (!this.#stopped && positions.length > 0) {
      let pages: WirePartitionPage[];
      try {
        pages = await this.#call<WirePartitionPage[]>({
          op: "read",
          positions: positions.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            offset: p.offset.toString(),
          })),
          maxRecords: Math.max(
            1,
            Math.min(this.#options.maxBatchSize, Math.floor(MAX_PAGE_RECORDS / positions.length)),
          ),
          maxWaitMs: Math.min(this.#options.maxWaitMs, 5_000),
        });
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        // Retention removed records before this position: go on from the first one left.
        const behind = positions.find(
          (p) => p.topic === error.topic && p.partition === error.partition,
        );
        if (behind === undefined || behind.offset >= BigInt(error.logStartOffset)) throw error;
        behind.offset = BigInt(error.logStartOffset);
        continue;
      }
      let delivered = 0;
      for (const page of pages) {
        if (this.#stopped) break;
        if (page.records.length === 0) continue;
        await onBatch({
          topic: page.topic,
          partition: page.partition,
          records: page.records.map(incomingFromWire),
        });
        delivered += page.records.length;
        const position = positions.find(
          (p) => p.topic === page.topic && p.partition === page.partition,
        );
        if (position !== undefined) position.offset = BigInt(page.nextOffset);
        const topic = this.#pending.get(page.topic) ?? new Map<number, bigint>();
        topic.set(page.partition, BigInt(page.nextOffset));
        this.#pending.set(page.topic, topic);
      }
      if (Date.now() - lastCommit >= 1_000) {
        await this.#commit();
        lastCommit = Date.now();
      }
      if (delivered === 0 && !this.#stopped) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, this.#options.maxWaitMs);
        });
      }
    }
    await this.#commit();
  }

  async #commit(): Promise<void> {
    for (const [topic, partitions] of this.#pending) {
      await this.#admin.setGroupOffsets(
        this.#options.groupId,
        topic,
        [...partitions].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
      );
    }
    this.#pending.clear();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake();
    await this.#running?.catch(() => undefined);
  }
}

/**
 * Group-less reads of exact ranges through the function's `read` operation: one page per
 * invocation for every partition still short of its range's end, records past the end dropped.
 * A range that starts before the log (retention) or runs past its end stops where the log does.
 */
class RemoteReader implements LogReader {
  readonly #call: Call;
  constructor(call: Call) {
    this.#call = call;
  }

  async read(
    ranges: readonly RecordRange[],
    onBatch: (batch: PartitionBatch) => Promise<void> | void,
    options: ReadOptions = {},
  ): Promise<void> {
    const open = ranges.filter((r) => r.to > r.from).map((r) => ({ ...r, next: r.from }));
    while (!options.signal?.aborted) {
      const pending = open.filter((r) => r.next < r.to);
      if (pending.length === 0) return;
      let pages: WirePartitionPage[];
      try {
        pages = await this.#call<WirePartitionPage[]>({
          op: "read",
          positions: pending.map((r) => ({
            topic: r.topic,
            partition: r.partition,
            offset: r.next.toString(),
          })),
          maxRecords: Math.max(1, Math.floor(MAX_PAGE_RECORDS / pending.length)),
          maxWaitMs: 0,
        });
      } catch (error) {
        const behind =
          error instanceof OffsetOutOfRangeError &&
          pending.find((r) => r.topic === error.topic && r.partition === error.partition);
        if (!behind) throw error;
        behind.next = BigInt((error as OffsetOutOfRangeError).logStartOffset);
        continue;
      }
      for (const page of pages) {
        const range = pending.find((r) => r.topic === page.topic && r.partition === page.partition);
        if (range === undefined) continue;
        const records = page.records
          .map(incomingFromWire)
          .filter((r) => BigInt(r.offset) < range.to);
        if (records.length > 0)
          await onBatch({ topic: page.topic, partition: page.partition, records });
        // At the end of the partition, the range stops there.
        const next = BigInt(page.nextOffset);
        range.next = next >= BigInt(page.highWatermark) ? range.to : next;
      }
    }
  }

  async close(): Promise<void> {}
}

/**
 * A log client whose every call goes through the `log-operations` function.
 *
 * @example
 * ```ts
 * const log = remoteLogClient(lambdaInvoker(new LambdaClient({}), "duplex-prod-log-operations"));
 * await log.admin().topicOffsets("order-events");
 * ```
 */
export function remoteLogClient(invoker: LogOperationsInvoker): LogClient {
  const call = caller(invoker);
  return {
    name: "log-operations",
    producer: () => new RemoteProducer(call),
    consumer: (options) => new RemoteConsumer(call, options),
    reader: () => new RemoteReader(call),
    admin: () => new RemoteAdmin(call),
  };
}
