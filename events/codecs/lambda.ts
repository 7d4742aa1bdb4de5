import { MalformedEventError } from "../errors.ts";
import type { AnyEvent } from "../types.ts";
import type { FastLaneDelivery } from "./eventbridge.ts";
import { fromEventBridgeEvent } from "./eventbridge.ts";
import { parseJson } from "./json.ts";
import type { EncodedKafkaRecord } from "./kafka.ts";
import { fromKafkaRecord } from "./kafka.ts";

/**
 * Decoders for the record shapes Lambda hands to a function: an SQS message whose body is an
 * EventBridge event (the fast lane), and an MSK event record (the log lane).
 */

/** One record of a Lambda MSK event, as AWS delivers it (see `MSKRecord` in @types/aws-lambda). */
export interface MskEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: "CREATE_TIME" | "LOG_APPEND_TIME";
  /** Base64 of the key bytes; absent for a null key. */
  readonly key?: string | undefined;
  /** Base64 of the value bytes. */
  readonly value: string;
  /** One object per header, its value as an array of byte values. */
  readonly headers: ReadonlyArray<Readonly<Record<string, readonly number[]>>>;
}

/** A decoded log record and where it sits in the log. */
export interface LogDelivery {
  readonly event: AnyEvent;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
}

/**
 * Decodes an SQS message body delivered by an EventBridge rule.
 *
 * @example
 * ```ts
 * for (const message of sqsEvent.Records) {
 *   const { event, replayName } = fromSqsMessageBody(message.body);
 * }
 * ```
 */
export function fromSqsMessageBody(body: string): FastLaneDelivery {
  return fromEventBridgeEvent(parseJson(body, "SQS message body"));
}

function decodeBase64(value: unknown, what: string): Buffer {
  if (typeof value === "string" && value.length % 4 === 0) {
    const bytes = Buffer.from(value, "base64");
    const padding = value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0;
    // Node skips characters outside the alphabet; a decoded length short of what the input's
    // length promises means there were some (cheaper than a regex over the whole value).
    if (bytes.length === (value.length / 4) * 3 - padding) return bytes;
  }
  throw new MalformedEventError({}, `MSK record ${what} is not base64`);
}

function headerBytes(value: unknown, name: string): Buffer {
  if (!Array.isArray(value) || !value.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) {
    throw new MalformedEventError({}, `MSK record header '${name}' is not an array of bytes`);
  }
  // Java producers hand Lambda signed bytes; mask them into 0..255.
  return Buffer.from(value.map((b: number) => b & 0xff));
}

/**
 * Decodes one record of a Lambda MSK event into the latest version of its type.
 *
 * @example
 * ```ts
 * for (const records of Object.values(mskEvent.records)) {
 *   for (const record of records) fromMskRecord(record).event;
 * }
 * ```
 */
export function fromMskRecord(record: MskEventRecord): LogDelivery {
  if (typeof record !== "object" || record === null) {
    throw new MalformedEventError({}, "expected an MSK event record object");
  }
  const headers: Record<string, Buffer> = {};
  if (!Array.isArray(record.headers)) {
    throw new MalformedEventError({}, "MSK record headers must be an array");
  }
  for (const header of record.headers) {
    if (typeof header !== "object" || header === null) {
      throw new MalformedEventError({}, "MSK record header must be an object");
    }
    for (const [name, bytes] of Object.entries(header)) headers[name] = headerBytes(bytes, name);
  }
  const event = fromKafkaRecord({
    key: record.key === undefined || record.key === null ? null : decodeBase64(record.key, "key"),
    value: decodeBase64(record.value, "value"),
    headers,
  });
  return {
    event,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
  };
}

/**
 * Builds the MSK event record Lambda would deliver for a Kafka record (used by the local functions
 * host and by tests as a record factory).
 */
export function toMskRecord(
  record: Pick<EncodedKafkaRecord, "value"> & {
    /** The topic as the consumer saw it (a namespaced name locally). */
    readonly topic: string;
    readonly key: string | Buffer | null;
    readonly headers: Readonly<Record<string, string | Buffer>>;
  },
  position: { partition: number; offset: number; timestamp: number },
): MskEventRecord {
  return {
    topic: record.topic,
    partition: position.partition,
    offset: position.offset,
    timestamp: position.timestamp,
    // Every topic stamps records with the broker's clock (`message.timestamp.type`).
    timestampType: "LOG_APPEND_TIME",
    ...(record.key === null ? {} : { key: Buffer.from(record.key).toString("base64") }),
    value: record.value.toString("base64"),
    headers: Object.entries(record.headers).map(([name, value]) => ({
      [name]: [...Buffer.from(value)],
    })),
  };
}
