import type { EventEnvelope } from "../envelope.ts";
import { MalformedEventError, PayloadTooLargeError } from "../errors.ts";
import { LOG_LANE_MAX_RECORD_BYTES } from "../limits.ts";
import { decodeEvent, eventDefinition } from "../registry.ts";
import type { TopicName } from "../topics.ts";
import type { AnyEvent, EventTypeName } from "../types.ts";
import { parseJson } from "./json.ts";

/**
 * Kafka record layout: CloudEvents 1.0 Kafka protocol binding, **binary content mode**.
 *
 * - key: the aggregate id (so order holds per aggregate; CloudEvents `partitionkey`);
 * - value: `data` as UTF-8 JSON, `content-type: application/json`;
 * - headers: `ce_specversion` "1.0", `ce_id` (eventId), `ce_type` (eventType), `ce_source`,
 *   `ce_time` (occurredAt), `ce_subject` (aggregateId), and the extension attributes
 *   `ce_eventversion`, `ce_aggregatetype`, `ce_correlationid`, `ce_causationid`,
 *   `ce_traceparent` (W3C, the CloudEvents distributed-tracing extension) and `ce_sequence`
 *   (the fact's position in its aggregate's stream) when present.
 *
 * A CloudEvents-aware consumer reads these records as CloudEvents without knowing Duplex.
 */
export const CE_HEADERS = {
  specversion: "ce_specversion",
  id: "ce_id",
  type: "ce_type",
  source: "ce_source",
  time: "ce_time",
  subject: "ce_subject",
  eventVersion: "ce_eventversion",
  aggregateType: "ce_aggregatetype",
  correlationId: "ce_correlationid",
  causationId: "ce_causationid",
  traceparent: "ce_traceparent",
  sequence: "ce_sequence",
  contentType: "content-type",
} as const;

/** A record ready for any Kafka client: string headers, Buffer value. */
export interface EncodedKafkaRecord {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** A record as read from any Kafka client. */
export interface RawKafkaRecord {
  readonly key: Buffer | string | null | undefined;
  readonly value: Buffer | string | null | undefined;
  readonly headers: Readonly<Record<string, Buffer | string | undefined | null>>;
}

/** Size of a record as the log lane counts it: key + value + header names and values. */
export function kafkaRecordSize(record: EncodedKafkaRecord): number {
  let size = Buffer.byteLength(record.key) + record.value.length;
  for (const [name, value] of Object.entries(record.headers)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return size;
}

/**
 * Encodes an event as a Kafka record for its catalog topic, refusing records over the log lane's
 * size limit.
 *
 * @example
 * ```ts
 * const record = toKafkaRecord(event);
 * await producer.send({ topic: record.topic, messages: [record] });
 * ```
 */
export function toKafkaRecord(event: EventEnvelope): EncodedKafkaRecord {
  const definition = eventDefinition(event.eventType as EventTypeName);
  const headers: Record<string, string> = {
    [CE_HEADERS.specversion]: "1.0",
    [CE_HEADERS.id]: event.eventId,
    [CE_HEADERS.type]: event.eventType,
    [CE_HEADERS.source]: event.source,
    [CE_HEADERS.time]: event.occurredAt,
    [CE_HEADERS.subject]: event.aggregateId,
    [CE_HEADERS.eventVersion]: String(event.eventVersion),
    [CE_HEADERS.aggregateType]: event.aggregateType,
    [CE_HEADERS.correlationId]: event.correlationId,
    [CE_HEADERS.causationId]: event.causationId,
    [CE_HEADERS.contentType]: "application/json",
  };
  if (event.traceparent !== undefined) headers[CE_HEADERS.traceparent] = event.traceparent;
  if (event.sequence !== undefined) headers[CE_HEADERS.sequence] = String(event.sequence);
  const record: EncodedKafkaRecord = {
    topic: definition.topic,
    key: event.aggregateId,
    value: Buffer.from(JSON.stringify(event.data), "utf8"),
    headers,
  };
  const size = kafkaRecordSize(record);
  if (size > LOG_LANE_MAX_RECORD_BYTES) {
    throw new PayloadTooLargeError(
      { eventId: event.eventId, eventType: event.eventType, eventVersion: event.eventVersion },
      "log lane (Kafka record)",
      size,
      LOG_LANE_MAX_RECORD_BYTES,
    );
  }
  return record;
}

function text(value: Buffer | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? value : value.toString("utf8");
}

/**
 * Decodes a Kafka record written by {@link toKafkaRecord} into the latest version of its type.
 * Throws only the typed errors of `errors.ts`.
 */
export function fromKafkaRecord(record: RawKafkaRecord): AnyEvent {
  const header = (name: string): string | undefined => text(record.headers[name]);
  const eventVersionText = header(CE_HEADERS.eventVersion);
  const ref = {
    eventId: header(CE_HEADERS.id),
    eventType: header(CE_HEADERS.type),
    eventVersion: eventVersionText === undefined ? undefined : Number(eventVersionText),
  };
  const specversion = header(CE_HEADERS.specversion);
  if (specversion !== undefined && specversion !== "1.0") {
    throw new MalformedEventError(ref, `unsupported CloudEvents specversion '${specversion}'`);
  }
  const valueText = text(record.value);
  if (valueText === undefined) {
    throw new MalformedEventError(ref, "record has no value (a tombstone is not an event)");
  }
  const data = parseJson(valueText, "record value", ref);
  return decodeEvent({
    eventId: ref.eventId,
    eventType: ref.eventType,
    eventVersion: numeric(eventVersionText),
    occurredAt: header(CE_HEADERS.time),
    source: header(CE_HEADERS.source),
    aggregateType: header(CE_HEADERS.aggregateType),
    aggregateId: header(CE_HEADERS.subject) ?? text(record.key),
    correlationId: header(CE_HEADERS.correlationId),
    causationId: header(CE_HEADERS.causationId),
    traceparent: header(CE_HEADERS.traceparent),
    sequence: numeric(header(CE_HEADERS.sequence)),
    data,
  });
}

/** Header text that is a decimal integer becomes a number; anything else is passed on as is. */
function numeric(text: string | undefined): number | string | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : text;
}
