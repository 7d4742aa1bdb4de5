import type { EventEnvelope } from "../envelope.ts";
import { MalformedEventError, PayloadTooLargeError } from "../errors.ts";
import { LOG_LANE_MAX_RECORD_BYTES, SEQUENCE_DIGITS } from "../limits.ts";
import { decodeEvent, eventDefinition } from "../registry.ts";
import type { TopicName } from "../topics.ts";
import type { AnyEvent, EventTypeName } from "../types.ts";
import { internedText } from "./interned-text.ts";
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
 *   (the fact's position in its aggregate's stream, zero-padded to {@link SEQUENCE_DIGITS}
 *   digits so that its text sorts like its number, as the CloudEvents sequence extension
 *   requires) when present.
 *
 * A CloudEvents-aware consumer reads these records as CloudEvents without knowing Duplex. The
 * decoder also reads **structured content mode** (`content-type: application/cloudevents+json`,
 * the whole event as JSON in the value), which other CloudEvents producers may write.
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

/**
 * `ce_sequence` text of a sequence number, zero-padded to {@link SEQUENCE_DIGITS} digits: its
 * lexicographic order is the numeric order. Unpadded values written before are read the same.
 */
export function sequenceHeader(sequence: number): string {
  return String(sequence).padStart(SEQUENCE_DIGITS, "0");
}

/** The content type of a CloudEvent in structured mode (the Kafka binding, section 3.2). */
export const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";

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
  if (event.sequence !== undefined) headers[CE_HEADERS.sequence] = sequenceHeader(event.sequence);
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

/** {@link text} for the headers whose values repeat from record to record. */
function repeatingText(value: Buffer | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? value : internedText(value);
}

/**
 * Decodes a Kafka record into the latest version of its type: binary mode as
 * {@link toKafkaRecord} writes it, or structured mode (a CloudEvent as JSON in the value).
 * Throws only the typed errors of `errors.ts`.
 */
export function fromKafkaRecord(record: RawKafkaRecord): AnyEvent {
  const header = (name: string): string | undefined => text(record.headers[name]);
  const repeating = (name: string): string | undefined => repeatingText(record.headers[name]);
  const contentTypeHeader = repeating(CE_HEADERS.contentType);
  // What our producers write needs no parsing.
  const contentType =
    contentTypeHeader === "application/json"
      ? contentTypeHeader
      : contentTypeHeader?.split(";")[0]?.trim().toLowerCase();
  if (contentType === STRUCTURED_CONTENT_TYPE) return fromStructuredRecord(record);
  if (contentType?.startsWith("application/cloudevents-batch")) {
    throw new MalformedEventError(
      {},
      `content-type '${contentType}': batched CloudEvents are not supported on Kafka (the binding has no batch mode); send one event per record`,
    );
  }
  const eventVersionText = repeating(CE_HEADERS.eventVersion);
  const ref = {
    eventId: header(CE_HEADERS.id),
    eventType: repeating(CE_HEADERS.type),
    eventVersion: eventVersionText === undefined ? undefined : Number(eventVersionText),
  };
  const specversion = repeating(CE_HEADERS.specversion);
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
    source: repeating(CE_HEADERS.source),
    aggregateType: repeating(CE_HEADERS.aggregateType),
    aggregateId: header(CE_HEADERS.subject) ?? text(record.key),
    correlationId: header(CE_HEADERS.correlationId),
    causationId: header(CE_HEADERS.causationId),
    traceparent: header(CE_HEADERS.traceparent),
    sequence: numeric(header(CE_HEADERS.sequence)),
    data,
  });
}

/**
 * Header text that is a decimal integer of at most {@link SEQUENCE_DIGITS} digits (leading zeros
 * included) becomes a number; anything else is passed on as is, for the envelope check to name.
 */
function numeric(value: unknown): unknown {
  return typeof value === "string" && DECIMAL.test(value) ? Number(value) : value;
}

const DECIMAL = new RegExp(`^\\d{1,${SEQUENCE_DIGITS}}$`);

/**
 * Structured content mode: the value is one CloudEvent in JSON (`specversion`, `id`, `type`,
 * `source`, `time`, `subject`, the extension attributes in lower case, and `data`, or
 * `data_base64` holding JSON). Mapped to the envelope exactly as binary mode's headers are.
 */
function fromStructuredRecord(record: RawKafkaRecord): AnyEvent {
  const valueText = text(record.value);
  if (valueText === undefined) {
    throw new MalformedEventError({}, "structured CloudEvent record has no value");
  }
  const parsed = parseJson(valueText, "structured CloudEvent (record value)");
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedEventError({}, "structured CloudEvent: expected a JSON object as the value");
  }
  const ce = parsed as Record<string, unknown>;
  const ref = {
    eventId: typeof ce.id === "string" ? ce.id : undefined,
    eventType: typeof ce.type === "string" ? ce.type : undefined,
    eventVersion:
      typeof numeric(ce.eventversion) === "number" ? Number(ce.eventversion) : undefined,
  };
  if (ce.specversion !== "1.0") {
    throw new MalformedEventError(
      ref,
      `structured CloudEvent: unsupported specversion '${String(ce.specversion)}', expected '1.0'`,
    );
  }
  let data: unknown = ce.data;
  if (data === undefined && typeof ce.data_base64 === "string") {
    data = parseJson(
      Buffer.from(ce.data_base64, "base64").toString("utf8"),
      "structured CloudEvent data_base64",
      ref,
    );
  }
  return decodeEvent({
    eventId: ce.id,
    eventType: ce.type,
    eventVersion: numeric(ce.eventversion),
    occurredAt: ce.time,
    source: ce.source,
    aggregateType: ce.aggregatetype,
    aggregateId: ce.subject ?? text(record.key),
    correlationId: ce.correlationid,
    causationId: ce.causationid,
    traceparent: ce.traceparent,
    sequence: numeric(ce.sequence),
    data,
  });
}
