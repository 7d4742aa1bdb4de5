import { describe, expect, it } from "vitest";
import {
  eventBridgeEntrySize,
  fromEventBridgeEvent,
  toEventBridgeEntry,
} from "../../../events/codecs/eventbridge.ts";
import { fromKafkaRecord, sequenceHeader, toKafkaRecord } from "../../../events/codecs/kafka.ts";
import { fromMskRecord, fromSqsMessageBody, toMskRecord } from "../../../events/codecs/lambda.ts";
import { createEvent } from "../../../events/create.ts";
import {
  InvalidEnvelopeFieldError,
  MalformedEventError,
  MissingEnvelopeFieldError,
  PayloadTooLargeError,
} from "../../../events/errors.ts";
import {
  FAST_LANE_MAX_ENTRY_BYTES,
  LOG_LANE_MAX_RECORD_BYTES,
  MAX_SEQUENCE,
  SEQUENCE_DIGITS,
} from "../../../events/limits.ts";
import { eventBridgeEventFor, sqsRecordFor } from "../../support/records.ts";
import { oneOfEachType, sampleData } from "../../support/samples.ts";

const traced = createEvent("PlaceOrderRequested", sampleData.PlaceOrderRequested, {
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
});
const sequenced = createEvent("OrderPlaced", sampleData.OrderPlaced, { sequence: 7 });

describe("Kafka record codec (CloudEvents binary mode)", () => {
  it("keys by aggregate id, puts data in the value and attributes in ce_ headers", () => {
    const record = toKafkaRecord(traced);
    expect(record.topic).toBe("order-commands");
    expect(record.key).toBe("o-1");
    expect(JSON.parse(record.value.toString())).toEqual(traced.data);
    expect(record.headers).toMatchObject({
      ce_specversion: "1.0",
      ce_id: traced.eventId,
      ce_type: "PlaceOrderRequested",
      ce_source: "duplex.orders",
      ce_subject: "o-1",
      ce_eventversion: "1",
      ce_traceparent: traced.traceparent,
      "content-type": "application/json",
    });
  });

  it.each(oneOfEachType().map((e) => [e.eventType, e] as const))("round-trips %s", (_, event) => {
    const record = toKafkaRecord(event);
    const headers = Object.fromEntries(
      Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)]),
    );
    expect(fromKafkaRecord({ key: Buffer.from(record.key), value: record.value, headers })).toEqual(
      event,
    );
  });

  it("carries a fact's aggregate sequence as ce_sequence, zero-padded so that it sorts", () => {
    const record = toKafkaRecord(sequenced);
    expect(record.headers.ce_sequence).toBe("000000000000007");
    expect(fromKafkaRecord(record).sequence).toBe(7);
    expect(fromEventBridgeEvent(eventBridgeEventFor(sequenced)).event.sequence).toBe(7);
    const texts = [9, 10, 2, 100, MAX_SEQUENCE].map(sequenceHeader);
    expect(texts.every((t) => t.length === SEQUENCE_DIGITS)).toBe(true);
    expect([...texts].sort()).toEqual([2, 9, 10, 100, MAX_SEQUENCE].map(sequenceHeader));
  });

  it("still reads the unpadded ce_sequence written before, and refuses one too long", () => {
    const record = toKafkaRecord(sequenced);
    const withSequence = (text: string) => ({
      key: record.key,
      value: record.value,
      headers: { ...record.headers, ce_sequence: text },
    });
    expect(fromKafkaRecord(withSequence("7")).sequence).toBe(7);
    expect(fromKafkaRecord(withSequence("12")).sequence).toBe(12);
    expect(() => fromKafkaRecord(withSequence("1".repeat(SEQUENCE_DIGITS + 1)))).toThrow(
      new InvalidEnvelopeFieldError(
        { eventId: sequenced.eventId, eventType: "OrderPlaced", eventVersion: 2 },
        "sequence",
        `an integer from 1 to ${MAX_SEQUENCE}`,
      ),
    );
  });

  it("refuses a record over the log lane's limit", () => {
    const huge = createEvent("RegisterCustomerRequested", {
      ...sampleData.RegisterCustomerRequested,
      name: "x".repeat(256),
    });
    const bloated = {
      ...huge,
      data: { ...huge.data, padding: "y".repeat(LOG_LANE_MAX_RECORD_BYTES) },
    };
    expect(() => toKafkaRecord(bloated)).toThrow(PayloadTooLargeError);
    expect(() => toKafkaRecord(bloated)).toThrow(
      /exceeds the log lane \(Kafka record\) limit of 1000000 bytes/,
    );
  });

  it("names the event when the value is not JSON", () => {
    const record = toKafkaRecord(traced);
    const error = (() => {
      try {
        fromKafkaRecord({ key: record.key, value: "{nope", headers: record.headers });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error?.message).toContain(`PlaceOrderRequested v1, event ${traced.eventId}`);
  });
});

describe("Kafka record codec (CloudEvents structured mode)", () => {
  /** The event as another CloudEvents producer writes it in structured mode. */
  const structured = (event: typeof sequenced, overrides: Record<string, unknown> = {}) => ({
    key: event.aggregateId,
    value: JSON.stringify({
      specversion: "1.0",
      id: event.eventId,
      type: event.eventType,
      source: event.source,
      time: event.occurredAt,
      subject: event.aggregateId,
      datacontenttype: "application/json",
      eventversion: event.eventVersion,
      aggregatetype: event.aggregateType,
      correlationid: event.correlationId,
      causationid: event.causationId,
      sequence: sequenceHeader(event.sequence ?? 1),
      data: event.data,
      ...overrides,
    }),
    headers: { "content-type": "application/cloudevents+json; charset=UTF-8" },
  });

  it("decodes a structured CloudEvent to what binary mode decodes", () => {
    expect(fromKafkaRecord(structured(sequenced))).toEqual(
      fromKafkaRecord(toKafkaRecord(sequenced)),
    );
  });

  it("decodes data_base64 holding JSON", () => {
    const data_base64 = Buffer.from(JSON.stringify(sequenced.data)).toString("base64");
    const record = structured(sequenced, { data: undefined, data_base64 });
    expect(fromKafkaRecord(record).data).toEqual(fromKafkaRecord(toKafkaRecord(sequenced)).data);
  });

  it("names what is wrong with a structured record, never a missing binary header", () => {
    expect(() => fromKafkaRecord(structured(sequenced, { specversion: "0.3" }))).toThrow(
      /structured CloudEvent: unsupported specversion '0.3'/,
    );
    expect(() => fromKafkaRecord({ ...structured(sequenced), value: "[1]" })).toThrow(
      /structured CloudEvent: expected a JSON object/,
    );
    expect(() => fromKafkaRecord(structured(sequenced, { causationid: undefined }))).toThrow(
      new MissingEnvelopeFieldError(
        { eventId: sequenced.eventId, eventType: "OrderPlaced", eventVersion: 2 },
        "causationId",
      ),
    );
    expect(() =>
      fromKafkaRecord({
        ...structured(sequenced),
        headers: { "content-type": "application/cloudevents-batch+json" },
      }),
    ).toThrow(/batched CloudEvents are not supported on Kafka/);
  });
});

describe("EventBridge codec", () => {
  it("maps Source, DetailType, Time and the envelope into Detail", () => {
    const entry = toEventBridgeEntry(traced, "bus");
    expect(entry).toMatchObject({
      Source: "duplex.orders",
      DetailType: "PlaceOrderRequested",
      EventBusName: "bus",
    });
    expect(entry.Time.toISOString()).toBe(traced.occurredAt);
    expect(JSON.parse(entry.Detail)).toMatchObject({ eventId: traced.eventId, data: traced.data });
  });

  it.each(oneOfEachType().map((e) => [e.eventType, e] as const))(
    "round-trips %s through the delivered EventBridge event",
    (_, event) => {
      expect(fromEventBridgeEvent(eventBridgeEventFor(event)).event).toEqual(event);
    },
  );

  it("computes entry size as AWS documents it", () => {
    const entry = toEventBridgeEntry(traced, "bus");
    expect(eventBridgeEntrySize(entry)).toBe(
      14 +
        Buffer.byteLength(entry.Source) +
        Buffer.byteLength(entry.DetailType) +
        Buffer.byteLength(entry.Detail),
    );
  });

  it("refuses an entry over the fast lane's limit", () => {
    const bloated = {
      ...traced,
      data: { ...traced.data, note: "é".repeat(FAST_LANE_MAX_ENTRY_BYTES / 2) },
    };
    expect(() => toEventBridgeEntry(bloated, "bus")).toThrow(
      /exceeds the fast lane \(EventBridge entry\) limit of 997952 bytes/,
    );
  });
});

describe("Lambda record shapes", () => {
  it("decodes an SQS body carrying an EventBridge event, with the replay name", () => {
    const record = sqsRecordFor(traced, { replayName: "replay-1" });
    const delivery = fromSqsMessageBody(record.body);
    expect(delivery.event).toEqual(traced);
    expect(delivery.replayName).toBe("replay-1");
  });

  it("decodes an MSK record: base64 key/value, headers as byte arrays", () => {
    const msk = toMskRecord(toKafkaRecord(traced), { partition: 3, offset: 42, timestamp: 1 });
    expect(msk.headers.find((h) => "ce_id" in h)?.ce_id).toEqual([...Buffer.from(traced.eventId)]);
    const delivery = fromMskRecord(msk);
    expect(delivery).toMatchObject({ topic: "order-commands", partition: 3, offset: 42 });
    expect(delivery.event).toEqual(traced);
  });

  it("accepts signed bytes in MSK headers, as Java producers send them", () => {
    const msk = toMskRecord(toKafkaRecord(traced), { partition: 0, offset: 0, timestamp: 1 });
    const signed = msk.headers.map((h) =>
      Object.fromEntries(
        Object.entries(h).map(([k, v]) => [k, v.map((b) => (b > 127 ? b - 256 : b))]),
      ),
    );
    expect(fromMskRecord({ ...msk, headers: signed }).event).toEqual(traced);
  });

  it("says which part of an MSK record is broken", () => {
    const msk = toMskRecord(toKafkaRecord(traced), { partition: 0, offset: 0, timestamp: 1 });
    expect(() => fromMskRecord({ ...msk, value: "%%%" })).toThrow(/MSK record value is not base64/);
    expect(() => fromMskRecord({ ...msk, headers: [{ ce_id: ["x"] as never }] })).toThrow(
      /header 'ce_id' is not an array of bytes/,
    );
  });
});
