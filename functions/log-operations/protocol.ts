import { z } from "zod";
import type { IncomingRecord, OutgoingRecord } from "../kit/log/port.ts";

/**
 * What the `log-operations` function answers: the wire format between operators' tools (the
 * `duplex` CLI, `bin/cli/target/remote-log.ts`) and the function, on AWS through Lambda's Invoke
 * API, locally through the session's control endpoint. One request, one answer, JSON, no state:
 * the same as the log port's admin calls, plus appending records and reading them by position a
 * page at a time. Binary fields (keys, values, header values) travel as base64.
 *
 * Sizes: Lambda takes at most 6 MB in a synchronous request and returns at most 6 MB (Lambda API
 * reference, Invoke). Base64 grows data by 4/3, so a page carries at most {@link MAX_PAGE_BYTES}
 * of record bytes and a produce request at most {@link MAX_PRODUCE_BYTES}; callers page through.
 */

/** Lambda's limit on a synchronous request and on its response (Lambda API reference, Invoke). */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Record bytes (keys, values, headers) in one page: base64 and JSON stay under 6 MB. */
export const MAX_PAGE_BYTES = 3 * 1024 * 1024;

/** Record bytes in one produce request. */
export const MAX_PRODUCE_BYTES = 3 * 1024 * 1024;

/** Records in one page (their metadata costs response bytes too). */
export const MAX_PAGE_RECORDS = 2_000;

const name = z.string().min(1).max(249);
const offset = z.string().regex(/^\d+$/, { message: "expected a decimal offset" });
const partition = z.number().int().min(0);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: "expected base64" });
const configs = z.record(z.string(), z.string());

const newTopic = z
  .object({
    name,
    partitions: z.number().int().min(1),
    replicationFactor: z.number().int().min(1),
    configs,
  })
  .strict();

/** A record to append, as it travels. */
export const WireOutgoingRecordSchema = z
  .object({
    topic: name,
    key: z.string(),
    value: base64,
    headers: z.record(z.string(), z.string()),
  })
  .strict();

/** A record read, as it travels. */
export const WireIncomingRecordSchema = z
  .object({
    topic: name,
    partition,
    offset,
    timestamp: z.number(),
    key: base64.nullable(),
    value: base64.nullable(),
    headers: z.record(z.string(), base64),
  })
  .strict();

export type WireOutgoingRecord = z.infer<typeof WireOutgoingRecordSchema>;
export type WireIncomingRecord = z.infer<typeof WireIncomingRecordSchema>;

const position = z.object({ topic: name, partition, offset }).strict();

/** Every request the function answers, by `op`. */
export const LogOperationSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("listTopics") }).strict(),
  z.object({ op: z.literal("describeTopics"), names: z.array(name) }).strict(),
  z.object({ op: z.literal("createTopics"), topics: z.array(newTopic) }).strict(),
  z
    .object({
      op: z.literal("createPartitions"),
      topic: name,
      totalPartitions: z.number().int().min(1),
    })
    .strict(),
  z.object({ op: z.literal("alterTopicConfigs"), topic: name, configs }).strict(),
  z.object({ op: z.literal("deleteTopics"), names: z.array(name) }).strict(),
  z.object({ op: z.literal("topicOffsets"), topic: name }).strict(),
  z.object({ op: z.literal("offsetsAtTime"), topic: name, timestampMs: z.number() }).strict(),
  z.object({ op: z.literal("groupOffsets"), groupId: name, topics: z.array(name) }).strict(),
  z
    .object({
      op: z.literal("setGroupOffsets"),
      groupId: name,
      topic: name,
      offsets: z.array(z.object({ partition, offset }).strict()),
    })
    .strict(),
  z.object({ op: z.literal("describeGroup"), groupId: name }).strict(),
  z.object({ op: z.literal("listGroups") }).strict(),
  z.object({ op: z.literal("deleteGroups"), groupIds: z.array(name) }).strict(),
  z
    .object({
      op: z.literal("produce"),
      records: z.array(WireOutgoingRecordSchema).min(1),
    })
    .strict(),
  z
    .object({
      op: z.literal("read"),
      positions: z.array(position).min(1),
      /** Record bytes in the answer (at most {@link MAX_PAGE_BYTES}). */
      maxBytes: z.number().int().min(1).max(MAX_PAGE_BYTES).optional(),
      /** Records per partition (at most {@link MAX_PAGE_RECORDS}). */
      maxRecords: z.number().int().min(1).max(MAX_PAGE_RECORDS).optional(),
      /** How long the brokers may wait for data when there is none (at most 5 s). */
      maxWaitMs: z.number().int().min(0).max(5_000).optional(),
    })
    .strict(),
]);

export type LogOperation = z.infer<typeof LogOperationSchema>;
export type LogOperationName = LogOperation["op"];

/** A page of one partition, as it travels. */
export interface WirePartitionPage {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly WireIncomingRecord[];
  readonly nextOffset: string;
  readonly highWatermark: string;
  readonly logStartOffset: string;
}

/** What the function answers: a result, or a refusal that names why. */
export type LogOperationResponse =
  | { readonly ok: true; readonly result: unknown }
  | {
      readonly ok: false;
      readonly error: {
        /** `BadRequest`, `OffsetOutOfRange`, `LogAdminError`, `LogPublishError`, `TooLarge`. */
        readonly name: string;
        readonly message: string;
        /** For `OffsetOutOfRange`: where the partition starts now. */
        readonly logStartOffset?: string;
        readonly topic?: string;
        readonly partition?: number;
      };
    };

/**
 * Parses a request, refusing anything else with an error that names the field.
 *
 * @example
 * ```ts
 * parseLogOperation({ op: "topicOffsets", topic: "order-events" });
 * ```
 */
export function parseLogOperation(
  raw: unknown,
): { ok: true; operation: LogOperation } | { ok: false; message: string } {
  const parsed = LogOperationSchema.safeParse(raw);
  if (parsed.success) return { ok: true, operation: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join(".") || "(request)";
  return { ok: false, message: `${path}: ${issue?.message ?? "invalid request"}` };
}

const toBase64 = (b: Buffer) => b.toString("base64");
const fromBase64 = (s: string) => Buffer.from(s, "base64");

function mapHeaders<A, B>(headers: Readonly<Record<string, A>>, f: (a: A) => B) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, f(value)]));
}

/** A record read, as it travels (binary fields in base64). */
export function incomingToWire(record: IncomingRecord): WireIncomingRecord {
  return {
    ...record,
    key: record.key === null ? null : toBase64(record.key),
    value: record.value === null ? null : toBase64(record.value),
    headers: mapHeaders(record.headers, toBase64),
  };
}

/** A record read, back from the wire. */
export function incomingFromWire(record: WireIncomingRecord): IncomingRecord {
  return {
    ...record,
    key: record.key === null ? null : fromBase64(record.key),
    value: record.value === null ? null : fromBase64(record.value),
    headers: mapHeaders(record.headers, fromBase64),
  };
}

/** A record to append, as it travels. */
export function outgoingToWire(record: OutgoingRecord): WireOutgoingRecord {
  return { ...record, value: toBase64(record.value), headers: { ...record.headers } };
}

/** A record to append, back from the wire. */
export function outgoingFromWire(record: WireOutgoingRecord): OutgoingRecord {
  return { ...record, value: fromBase64(record.value) };
}
