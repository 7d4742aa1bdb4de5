import { describe, expect, it } from "vitest";
import { toKafkaRecord } from "../../events/codecs/kafka.ts";
import { fromMskRecord, toMskRecord } from "../../events/codecs/lambda.ts";
import { createEvent } from "../../events/create.ts";
import type { IncomingRecord } from "../../functions/kit/log/port.ts";
import {
  isPackedMskEvent,
  packMskEvent,
  recordCountOf,
  transferablesOf,
  unpackMskEvent,
} from "../../localstack/host/msk-transfer.ts";

const source = { eventSourceArn: "arn:aws:kafka:local:0:cluster/x/y", bootstrapServers: "b:9092" };

function incoming(topic: string, partition: number, offset: number): IncomingRecord {
  const event = createEvent("RegisterCustomerRequested", {
    customerId: `c-${partition}-${offset}`,
    name: "Ada",
    email: "ada@example.com",
  });
  const encoded = toKafkaRecord(event);
  return {
    topic,
    partition,
    offset: String(offset),
    timestamp: 1_700_000_000_000 + offset,
    key: Buffer.from(encoded.key),
    value: encoded.value,
    headers: Object.fromEntries(
      Object.entries(encoded.headers).map(([name, value]) => [name, Buffer.from(value)]),
    ),
  };
}

/** The MSK record Lambda would deliver, by the catalog's reference encoder. */
function expected(record: IncomingRecord) {
  return toMskRecord(
    {
      topic: record.topic,
      key: record.key,
      value: record.value ?? Buffer.alloc(0),
      headers: record.headers,
    },
    { partition: record.partition, offset: Number(record.offset), timestamp: record.timestamp },
  );
}

describe("packed MSK batches (local host → execution environment)", () => {
  it("unpack into exactly the MSK event Lambda delivers, grouped by topic-partition", () => {
    const p0 = [incoming("t.order-events", 0, 7), incoming("t.order-events", 0, 8)];
    const p3 = [incoming("t.order-events", 3, 41)];
    const packed = packMskEvent(
      [
        { topic: "t.order-events", partition: 0, records: p0 },
        { topic: "t.order-events", partition: 3, records: p3 },
      ],
      source,
    );
    expect(isPackedMskEvent(packed)).toBe(true);
    expect(recordCountOf(packed)).toBe(3);
    // What arrives on the other side of postMessage is a structured clone.
    const event = unpackMskEvent(structuredClone(packed, { transfer: transferablesOf(packed) }));
    expect(event).toEqual({
      eventSource: "aws:kafka",
      ...source,
      records: { "t.order-events-0": p0.map(expected), "t.order-events-3": p3.map(expected) },
    });
    for (const record of event.records["t.order-events-0"] ?? []) {
      expect(fromMskRecord(record).event.eventType).toBe("RegisterCustomerRequested");
    }
  });

  it("keep a null key absent, an empty value empty, and records without headers", () => {
    const record: IncomingRecord = {
      topic: "t",
      partition: 1,
      offset: "5",
      timestamp: 1,
      key: null,
      value: null,
      headers: {},
    };
    const event = unpackMskEvent(
      packMskEvent([{ topic: "t", partition: 1, records: [record] }], source),
    );
    expect(event.records["t-1"]).toEqual([
      {
        topic: "t",
        partition: 1,
        offset: 5,
        timestamp: 1,
        timestampType: "LOG_APPEND_TIME",
        value: "",
        headers: [],
      },
    ]);
  });

  it("count the records of plain MSK events too", () => {
    expect(recordCountOf({ records: { "a-0": [1, 2], "a-1": [3] } })).toBe(3);
    expect(recordCountOf({ Records: [] })).toBe(0);
  });
});
