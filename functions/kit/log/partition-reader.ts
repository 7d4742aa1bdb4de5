import { Consumer } from "@platformatic/kafka";
import { LogAdminError, OffsetOutOfRangeError } from "./errors.ts";
import { connectionOptions } from "./platformatic.ts";
import type { IncomingRecord, LogConnection } from "./port.ts";

/**
 * Reading records by position, without a consumer group: Kafka's Fetch request sent straight to
 * each partition's leader. The log port reads through consumer groups (what functions do); an
 * operator reading a window of the log, one page at a time and possibly from outside the VPC
 * through the log-operations function, needs a stateless read instead: no group to join, no
 * rebalance to wait for, nothing to clean up.
 */

/** Where to read: a partition and the offset of the first record wanted. */
export interface ReadPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Records of one partition from a position, in log order. */
export interface PartitionPage {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly IncomingRecord[];
  /** Where the next read of this partition starts (after the last record returned). */
  readonly nextOffset: string;
  /** The end of the partition when read (the offset the next record will get). */
  readonly highWatermark: string;
  /** The first offset still in the partition. */
  readonly logStartOffset: string;
}

export interface ReadLimits {
  /** Most bytes of keys, values and headers in one answer (a record larger than this still comes alone). */
  readonly maxBytes: number;
  /** Most records per partition. */
  readonly maxRecords: number;
  /** How long the broker may wait for data when there is none. */
  readonly maxWaitMs: number;
}

/** Reads pages of records by position. */
export interface PartitionReader {
  read(positions: readonly ReadPosition[], limits: ReadLimits): Promise<PartitionPage[]>;
  close(): Promise<void>;
}

const OFFSET_OUT_OF_RANGE = 1;

interface FetchAnswer {
  readonly topicId: string;
  readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: number }[];
}

function recordBytes(record: IncomingRecord): number {
  let n = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, value] of Object.entries(record.headers)) n += name.length + value.length;
  return n;
}

interface FetchedBatch {
  readonly firstOffset: bigint;
  readonly firstTimestamp: bigint;
  readonly records: readonly {
    readonly offsetDelta: number;
    readonly timestampDelta: bigint;
    readonly key: Buffer | null;
    readonly value: Buffer | null;
    readonly headers: readonly [Buffer | null, Buffer | null][];
  }[];
}

function toRecords(topic: string, partition: number, from: bigint, batches: FetchedBatch[]) {
  const records: IncomingRecord[] = [];
  for (const batch of batches) {
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      // A fetch answers from the start of the batch holding the requested offset.
      if (offset < from) continue;
      const headers: Record<string, Buffer> = {};
      for (const [name, value] of r.headers) {
        if (name !== null) headers[name.toString("utf8")] = value ?? Buffer.alloc(0);
      }
      records.push({
        topic,
        partition,
        offset: offset.toString(),
        timestamp: Number(batch.firstTimestamp + r.timestampDelta),
        key: r.key,
        value: r.value,
        headers,
      });
    }
  }
  return records;
}

/**
 * A reader on the brokers of a connection (`@platformatic/kafka`'s low-level Fetch).
 *
 * @example
 * ```ts
 * const reader = partitionReader({ brokers, auth: "iam", clientId: "duplex-ops" });
 * const [page] = await reader.read([{ topic: "order-events", partition: 0, offset: "120" }],
 *   { maxBytes: 3_000_000, maxRecords: 500, maxWaitMs: 100 });
 * ```
 */
export function partitionReader(connection: LogConnection): PartitionReader {
  // A consumer is the library's handle on Fetch; it never joins its group (no consume()).
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    ...connectionOptions(connection, "reader"),
    groupId: `${connection.clientId}-reader-never-joined`,
  });

  /** The first offset still in a partition (ListOffsets, earliest). */
  const logStart = async (topic: string, partition: number): Promise<string> => {
    const offsets = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
    return String(offsets.get(topic)?.[partition] ?? 0n);
  };

  /** Kafka answers a fetch before the log's start or past its end with OFFSET_OUT_OF_RANGE. */
  const outOfRange = async (
    error: unknown,
    wanted: readonly { position: ReadPosition; topicId: string }[],
  ): Promise<OffsetOutOfRangeError | undefined> => {
    const response = (error as { response?: { responses?: FetchAnswer[] } }).response;
    for (const answer of response?.responses ?? []) {
      for (const p of answer.partitions) {
        if (p.errorCode !== OFFSET_OUT_OF_RANGE) continue;
        const w = wanted.find(
          (x) => x.topicId === answer.topicId && x.position.partition === p.partitionIndex,
        );
        if (w === undefined) continue;
        const { topic, partition, offset } = w.position;
        return new OffsetOutOfRangeError(
          topic,
          partition,
          offset,
          await logStart(topic, partition),
        );
      }
    }
    return undefined;
  };

  const readFromLeader = async (
    leader: number,
    wanted: readonly { position: ReadPosition; topicId: string }[],
    limits: ReadLimits,
  ): Promise<PartitionPage[]> => {
    const byTopic = new Map<string, { position: ReadPosition; topicId: string }[]>();
    for (const w of wanted) byTopic.set(w.topicId, [...(byTopic.get(w.topicId) ?? []), w]);
    const response = await consumer
      .fetch({
        node: leader,
        maxWaitTime: limits.maxWaitMs,
        maxBytes: limits.maxBytes,
        topics: [...byTopic.entries()].map(([topicId, positions]) => ({
          topicId,
          partitions: positions.map(({ position }) => ({
            partition: position.partition,
            fetchOffset: BigInt(position.offset),
            partitionMaxBytes: limits.maxBytes,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          })),
        })),
      })
      .catch(async (error: unknown) => {
        throw (await outOfRange(error, wanted)) ?? error;
      });
    const pages: PartitionPage[] = [];
    for (const answer of response.responses) {
      for (const p of answer.partitions) {
        const w = byTopic
          .get(answer.topicId)
          ?.find((x) => x.position.partition === p.partitionIndex);
        if (w === undefined) continue;
        const { topic, partition, offset } = w.position;
        if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          throw new OffsetOutOfRangeError(
            topic,
            partition,
            offset,
            await logStart(topic, partition),
          );
        }
        if (p.errorCode !== 0) {
          throw new LogAdminError("read", `${topic}-${partition} at ${offset}`, {
            cause: new Error(`Kafka error code ${p.errorCode}`),
          });
        }
        const all = toRecords(
          topic,
          partition,
          BigInt(offset),
          (p.records ?? []) as FetchedBatch[],
        );
        pages.push({
          topic,
          partition,
          records: all,
          nextOffset: offset,
          highWatermark: p.highWatermark.toString(),
          logStartOffset: p.logStartOffset.toString(),
        });
      }
    }
    return pages;
  };

  return {
    async read(positions, limits) {
      if (positions.length === 0) return [];
      const topics = [...new Set(positions.map((p) => p.topic))];
      const metadata = await consumer.metadata({ topics, forceUpdate: true }).catch((cause) => {
        throw new LogAdminError("read metadata of", topics.join(","), { cause });
      });
      const byLeader = new Map<number, { position: ReadPosition; topicId: string }[]>();
      for (const position of positions) {
        const topic = metadata.topics.get(position.topic);
        const leader = topic?.partitions[position.partition]?.leader;
        if (topic === undefined || leader === undefined || leader < 0) {
          throw new LogAdminError("read", `${position.topic}-${position.partition}`, {
            cause: new Error("no such partition, or it has no leader"),
          });
        }
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), { position, topicId: topic.id }]);
      }
      const fetched = (
        await Promise.all(
          [...byLeader.entries()].map(([leader, wanted]) =>
            readFromLeader(leader, wanted, limits).catch((cause: unknown) => {
              if (cause instanceof OffsetOutOfRangeError || cause instanceof LogAdminError)
                throw cause;
              throw new LogAdminError("read from broker", String(leader), { cause });
            }),
          ),
        )
      ).flat();
      // Keep the caller's order, then cut to the limits: whole records, at least one overall.
      const ordered = positions.flatMap(
        (p) => fetched.find((f) => f.topic === p.topic && f.partition === p.partition) ?? [],
      );
      let budget = limits.maxBytes;
      let first = true;
      return ordered.map((page) => {
        const kept: IncomingRecord[] = [];
        for (const record of page.records) {
          if (kept.length >= limits.maxRecords) break;
          const size = recordBytes(record);
          if (size > budget && !first) break;
          budget -= size;
          first = false;
          kept.push(record);
        }
        const last = kept.at(-1);
        return {
          ...page,
          records: kept,
          nextOffset: last === undefined ? page.nextOffset : (BigInt(last.offset) + 1n).toString(),
        };
      });
    },
    async close() {
      await consumer.close();
    },
  };
}
