import { CE_HEADERS, fromKafkaRecord } from "../../../events/codecs/kafka.ts";
import type { AnyEvent } from "../../../events/types.ts";
import type { IncomingRecord } from "../log/port.ts";
import type { LogAccess } from "./access.ts";
import { type PartitionRange, queryReader, readRanges, windowRanges } from "./reader.ts";

/** An event read from the log, with where it was. */
export interface LoggedEvent {
  readonly event: AnyEvent;
  /** Catalog topic name. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly loggedAt: string;
}

export interface ScanOptions {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  /** A cheap pre-filter on the record's headers, before decoding. */
  readonly accept?: (record: IncomingRecord) => boolean;
  /** Called with records that are not catalog events (skipped otherwise). */
  readonly onUndecodable?: (record: IncomingRecord, error: unknown) => void;
}

/** A header as text. */
export function header(record: IncomingRecord, name: string): string | undefined {
  return record.headers[name]?.toString("utf8");
}

/** Header pre-filter: one event by id. */
export const byEventId = (id: string) => (record: IncomingRecord) =>
  header(record, CE_HEADERS.id) === id;

/** Header pre-filter: records of one aggregate (its key). */
export const byKey = (key: string) => (record: IncomingRecord) =>
  record.key?.toString("utf8") === key;

/** Header pre-filter: records of one correlation id. */
export const byCorrelation = (id: string) => (record: IncomingRecord) =>
  header(record, CE_HEADERS.correlationId) === id;

/**
 * Reads catalog topics of the target (between two log times, or all retained), decodes each record
 * that passes `accept`, and returns the events sorted by time (then topic/partition/offset).
 */
export async function scanEvents(
  target: LogAccess,
  topics: readonly string[],
  options: ScanOptions,
): Promise<{ events: LoggedEvent[]; ranges: PartitionRange[] }> {
  const ranges = await windowRanges(
    target.admin,
    topics.map((topic) => `${target.topicPrefix}${topic}`),
    { fromMs: options.fromMs, toMs: options.toMs },
  );
  return { events: await readEvents(target, ranges, options), ranges };
}

/** Reads given ranges of the target's topics; decodes and sorts as {@link scanEvents}. */
export async function readEvents(
  target: LogAccess,
  ranges: readonly PartitionRange[],
  options: Pick<ScanOptions, "accept" | "onUndecodable">,
): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  await readRanges({ log: target.log, reader: queryReader(target.log) }, ranges, (record) => {
    if (options.accept !== undefined && !options.accept(record)) return;
    try {
      events.push({
        event: fromKafkaRecord(record),
        topic: record.topic.slice(target.topicPrefix.length),
        partition: record.partition,
        offset: record.offset,
        loggedAt: new Date(record.timestamp).toISOString(),
      });
    } catch (error) {
      options.onUndecodable?.(record, error);
    }
  });
  events.sort(inTimeOrder);
  return events;
}

/** Events by their time, then by id (UUIDv7: creation order). */
export function inTimeOrder(a: LoggedEvent, b: LoggedEvent): number {
  return (
    a.event.occurredAt.localeCompare(b.event.occurredAt) ||
    a.event.eventId.localeCompare(b.event.eventId)
  );
}
