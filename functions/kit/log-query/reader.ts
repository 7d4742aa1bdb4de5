import type { IncomingRecord, LogAdmin, LogClient, RecordRange } from "../log/port.ts";
import { LogReadTimeoutError } from "./errors.ts";

/** Offsets `[from, to)` of one partition. */
export type PartitionRange = RecordRange;

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
  const [offsets, froms, tos] = await Promise.all([
    admin.topicOffsets(topic),
    window.fromMs === undefined ? undefined : admin.offsetsAtTime(topic, window.fromMs),
    window.toMs === undefined ? undefined : admin.offsetsAtTime(topic, window.toMs),
  ]);
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
  readonly timeoutMs?: number;
}

/**
 * Reads exactly the given ranges, in order per partition, with the log's group-less reader (no
 * consumer group to join, so a small read costs a few fetches). Returns the number of records
 * handed to `onRecord`.
 *
 * @example
 * ```ts
 * const ranges = await topicRanges(admin, "demo.order-events", { fromMs: Date.now() - 3_600_000 });
 * await readRanges({ log }, ranges, (r) => ...);
 * ```
 */
export async function readRanges(
  options: ReadOptions,
  ranges: readonly PartitionRange[],
  onRecord: (record: IncomingRecord) => void | Promise<void>,
): Promise<number> {
  const reader = options.log.reader();
  const abort = new AbortController();
  const timeoutMs = options.timeoutMs ?? 300_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  let read = 0;
  try {
    await reader.read(
      ranges,
      async (batch) => {
        for (const record of batch.records) {
          await onRecord(record);
          read++;
        }
      },
      { signal: abort.signal },
    );
  } finally {
    clearTimeout(timer);
    await reader.close();
  }
  if (timedOut) {
    throw new LogReadTimeoutError(
      `reading the log took longer than ${Math.round(timeoutMs / 1000)} s`,
    );
  }
  return read;
}
