import { randomBytes } from "node:crypto";
import type { IncomingRecord, LogAdmin, LogClient } from "../log/port.ts";
import { LogReadTimeoutError } from "./errors.ts";

/** Offsets `[from, to)` of one partition. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

/**
 * The ranges of a topic between two times (by the records' log timestamps), or its whole
 * retained content: `from` is the first offset at or after `fromMs` (else the start), `to` the
 * first at or after `toMs` (else the end).
 */
export async function topicRanges(
  admin: LogAdmin,
  topic: string,
  window: { fromMs?: number | undefined; toMs?: number | undefined } = {},
): Promise<PartitionRange[]> {
  const offsets = await admin.topicOffsets(topic);
  const froms =
    window.fromMs === undefined ? undefined : await admin.offsetsAtTime(topic, window.fromMs);
  const tos = window.toMs === undefined ? undefined : await admin.offsetsAtTime(topic, window.toMs);
  return offsets.map((p) => {
    const from = froms?.find((f) => f.partition === p.partition)?.offset ?? p.low;
    const to = tos?.find((t) => t.partition === p.partition)?.offset ?? p.high;
    const low = BigInt(p.low);
    return {
      topic,
      partition: p.partition,
      from: BigInt(from) < low ? low : BigInt(from),
      to: BigInt(to),
    };
  });
}

/** How many records the ranges hold. */
export function rangeSize(ranges: readonly PartitionRange[]): bigint {
  return ranges.reduce((n, r) => n + (r.to > r.from ? r.to - r.from : 0n), 0n);
}

export interface ReadOptions {
  readonly log: LogClient;
  readonly admin: LogAdmin;
  /** Namespace of the target, so the reader's group sits next to the session's groups. */
  readonly groupPrefix: string;
  /** Part of the reader group's name (`duplex-cli.<purpose>.<random>`), for `kafka-consumer-groups`. */
  readonly purpose: string;
  /** First part of the reader group's name (default `duplex-cli`). */
  readonly readerName?: string | undefined;
  readonly timeoutMs?: number;
}

/**
 * Reads exactly the given ranges, in order per partition, through a short-lived consumer group
 * whose offsets are set to the ranges' starts before it joins (the log port reads through groups
 * only); the group is deleted afterwards. Returns the number of records handed to `onRecord`.
 *
 * @example
 * ```ts
 * const ranges = await topicRanges(admin, "demo.order-events", { fromMs: Date.now() - 3_600_000 });
 * await readRanges({ log, admin, groupPrefix: "demo.", purpose: "trace" }, ranges, (r) => ...);
 * ```
 */
export async function readRanges(
  options: ReadOptions,
  ranges: readonly PartitionRange[],
  onRecord: (record: IncomingRecord) => void | Promise<void>,
): Promise<number> {
  const remaining = new Map<string, bigint>();
  for (const range of ranges) {
    if (range.to > range.from) remaining.set(`${range.topic}:${range.partition}`, range.to);
  }
  if (remaining.size === 0) return 0;
  const groupId = `${options.groupPrefix}${options.readerName ?? "duplex-cli"}.${options.purpose}.${randomBytes(4).toString("hex")}`;
  const topics = [...new Set(ranges.filter((r) => r.to > r.from).map((r) => r.topic))];
  for (const topic of topics) {
    await options.admin.setGroupOffsets(
      groupId,
      topic,
      ranges
        .filter((r) => r.topic === topic && r.to > r.from)
        .map((r) => ({ partition: r.partition, offset: String(r.from) })),
    );
  }
  const consumer = options.log.consumer({
    groupId,
    topics,
    startFrom: "latest",
    maxBatchSize: 500,
    maxWaitMs: 50,
  });
  let read = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const running = consumer.run(async (batch) => {
    const key = `${batch.topic}:${batch.partition}`;
    for (const record of batch.records) {
      const end = remaining.get(key);
      if (end === undefined) break;
      const offset = BigInt(record.offset);
      if (offset >= end) {
        remaining.delete(key);
        break;
      }
      await onRecord(record);
      read++;
      if (offset + 1n >= end) remaining.delete(key);
    }
    if (remaining.size === 0) finish();
  });
  const timeoutMs = options.timeoutMs ?? 300_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LogReadTimeoutError(
            `reading the log took longer than ${Math.round(timeoutMs / 1000)} s (${remaining.size} partition(s) unfinished)`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([done, running.then(() => done), timeout]);
  } finally {
    clearTimeout(timer);
    await consumer.stop().catch(() => undefined);
    await options.admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}
