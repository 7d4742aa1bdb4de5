import type {
  IncomingRecord,
  LogAdmin,
  LogClient,
  LogReader,
  RecordRange,
  TopicPartitionOffsets,
} from "../log/port.ts";
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
  return windowRanges(admin, [topic], window);
}

/**
 * {@link topicRanges} of many topics (or of some partitions of them) with one
 * {@link LogAdmin.listOffsets}: a couple of round trips whatever the number of topics.
 */
export async function windowRanges(
  admin: LogAdmin,
  topics: readonly string[],
  window: { fromMs?: number | undefined; toMs?: number | undefined } = {},
  partitions?: (topic: string, count: number) => readonly number[],
): Promise<PartitionRange[]> {
  const times = [window.fromMs, window.toMs].filter((t) => t !== undefined);
  const offsets = await admin.listOffsets({
    topics,
    timesMs: times,
    ...(partitions === undefined ? {} : { partitions }),
  });
  return offsets.map((p) => {
    let i = 0;
    const from = window.fromMs === undefined ? p.low : (p.atTimes[i++] ?? p.low);
    const to = window.toMs === undefined ? p.high : (p.atTimes[i] ?? p.high);
    return rangeOf(p, from, to);
  });
}

/** `[from, to)` of a partition, never below its low offset. */
export function rangeOf(p: TopicPartitionOffsets, from: string, to: string): PartitionRange {
  const low = BigInt(p.low);
  return {
    topic: p.topic,
    partition: p.partition,
    from: BigInt(from) < low ? low : BigInt(from),
    to: BigInt(to),
  };
}

/** How many records the ranges hold. */
export function rangeSize(ranges: readonly PartitionRange[]): bigint {
  return ranges.reduce((n, r) => n + (r.to > r.from ? r.to - r.from : 0n), 0n);
}

export interface ReadOptions {
  readonly log: LogClient;
  readonly timeoutMs?: number;
  /** A reader to use (and leave open); by default one of its own, closed at the end. */
  readonly reader?: LogReader;
}

const queryReaders = new WeakMap<LogClient, LogReader>();

/**
 * One reader per client for the queries of a command, the console or the query API: its
 * connections and metadata are opened once, not once per read. {@link closeQueryReader} when the
 * client is done.
 */
export function queryReader(log: LogClient): LogReader {
  let reader = queryReaders.get(log);
  if (reader === undefined) {
    reader = log.reader();
    queryReaders.set(log, reader);
  }
  return reader;
}

/** Closes the client's {@link queryReader}, if it has one. */
export async function closeQueryReader(log: LogClient): Promise<void> {
  const reader = queryReaders.get(log);
  queryReaders.delete(log);
  await reader?.close();
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
  const reader = options.reader ?? options.log.reader();
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
    if (options.reader === undefined) await reader.close();
  }
  if (timedOut) {
    throw new LogReadTimeoutError(
      `reading the log took longer than ${Math.round(timeoutMs / 1000)} s`,
    );
  }
  return read;
}
