import type { EventEnvelope } from "../envelope.ts";
import { MalformedEventError, MissingEnvelopeFieldError, PayloadTooLargeError } from "../errors.ts";
import { FAST_LANE_MAX_ENTRY_BYTES } from "../limits.ts";
import { decodeEvent } from "../registry.ts";
import type { AnyEvent } from "../types.ts";
import { parseJson, utf8Length } from "./json.ts";

/**
 * EventBridge layout: `Source` = envelope source, `DetailType` = event type, `Time` = occurredAt,
 * `Detail` = the rest of the envelope (eventId, eventVersion, occurredAt, aggregate, correlation,
 * causation, trace, data) as JSON. `occurredAt` is repeated in the detail because EventBridge
 * keeps `time` only to the second. Rules match on `detail-type`; the archive keeps the whole envelope, so a
 * replayed command decodes exactly like the original.
 */

/** A PutEvents entry, structurally compatible with the AWS SDK's `PutEventsRequestEntry`. */
export interface EventBridgeEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Time: Date;
  readonly EventBusName: string;
}

/** The `detail` object of a Duplex event on EventBridge. */
export interface EventBridgeDetail {
  readonly eventId: string;
  readonly eventVersion: number;
  readonly occurredAt: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly traceparent?: string;
  readonly sequence?: number;
  readonly data: unknown;
}

/** An event decoded from the fast lane, with the replay that re-sent it, if any. */
export interface FastLaneDelivery {
  readonly event: AnyEvent;
  /** Set when the event came from an EventBridge archive replay (`replay-name`). */
  readonly replayName?: string | undefined;
  /** EventBridge's own id for this delivery (differs between original and replay). */
  readonly eventBridgeId?: string | undefined;
}

/**
 * Entry size as AWS computes it: Time (14 bytes) + UTF-8 bytes of Source, DetailType, Detail
 * (and Resources, which Duplex does not use).
 */
export function eventBridgeEntrySize(entry: EventBridgeEntry): number {
  return 14 + utf8Length(entry.Source) + utf8Length(entry.DetailType) + utf8Length(entry.Detail);
}

/**
 * Encodes an event as a PutEvents entry, refusing entries over the fast lane's size limit.
 *
 * @example
 * ```ts
 * const entry = toEventBridgeEntry(command, "duplex-fast-lane");
 * await eventBridge.send(new PutEventsCommand({ Entries: [entry] }));
 * ```
 */
export function toEventBridgeEntry(event: EventEnvelope, eventBusName: string): EventBridgeEntry {
  const detail: EventBridgeDetail = {
    eventId: event.eventId,
    eventVersion: event.eventVersion,
    occurredAt: event.occurredAt,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    correlationId: event.correlationId,
    causationId: event.causationId,
    ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
    ...(event.sequence === undefined ? {} : { sequence: event.sequence }),
    data: event.data,
  };
  const entry: EventBridgeEntry = {
    Source: event.source,
    DetailType: event.eventType,
    Detail: JSON.stringify(detail),
    Time: new Date(event.occurredAt),
    EventBusName: eventBusName,
  };
  const size = eventBridgeEntrySize(entry);
  if (size > FAST_LANE_MAX_ENTRY_BYTES) {
    throw new PayloadTooLargeError(
      { eventId: event.eventId, eventType: event.eventType, eventVersion: event.eventVersion },
      "fast lane (EventBridge entry)",
      size,
      FAST_LANE_MAX_ENTRY_BYTES,
    );
  }
  return entry;
}

/**
 * The EventBridge event a rule target receives for an entry (what SQS carries as the message
 * body). Used by the fast-lane reconciler, which redelivers straight to a rule's queue, and by
 * test record factories.
 */
export function toEventBridgeEvent(
  entry: EventBridgeEntry,
  options: { id: string; account?: string; region?: string; replayName?: string },
): Record<string, unknown> {
  return {
    version: "0",
    id: options.id,
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: options.account ?? "",
    time: entry.Time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: options.region ?? "",
    resources: [],
    detail: JSON.parse(entry.Detail) as unknown,
    ...(options.replayName === undefined ? {} : { "replay-name": options.replayName }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes an EventBridge event (what a rule target receives: `detail-type`, `source`, `time`,
 * `detail`, and `replay-name` when replayed). Accepts `detail` as an object or a JSON string.
 */
export function fromEventBridgeEvent(candidate: unknown): FastLaneDelivery {
  if (!isRecord(candidate)) {
    throw new MalformedEventError({}, "expected an EventBridge event object");
  }
  const detailType = candidate["detail-type"];
  const ref = { eventType: typeof detailType === "string" ? detailType : undefined };
  let detail = candidate.detail;
  if (typeof detail === "string") detail = parseJson(detail, "EventBridge detail", ref);
  if (detail === undefined || detail === null) {
    throw new MissingEnvelopeFieldError(ref, "detail");
  }
  if (!isRecord(detail)) {
    throw new MalformedEventError(ref, "EventBridge detail must be a JSON object");
  }
  const event = decodeEvent({
    eventId: detail.eventId,
    eventType: detailType,
    eventVersion: detail.eventVersion,
    occurredAt: detail.occurredAt ?? candidate.time,
    source: candidate.source,
    aggregateType: detail.aggregateType,
    aggregateId: detail.aggregateId,
    correlationId: detail.correlationId,
    causationId: detail.causationId,
    traceparent: detail.traceparent,
    sequence: detail.sequence,
    data: detail.data,
  });
  const replayName = candidate["replay-name"];
  const id = candidate.id;
  return {
    event,
    replayName: typeof replayName === "string" ? replayName : undefined,
    eventBridgeId: typeof id === "string" ? id : undefined,
  };
}
