import { describe, expect, it } from "vitest";
import { toKafkaRecord } from "../../../events/codecs/kafka.ts";
import { BloomFilter } from "../../../functions/kit/bloom.ts";
import type { IncomingRecord } from "../../../functions/kit/log/port.ts";
import { type DecodedRecord, decodeForProjection } from "../../../functions/kit/rebuild-decode.ts";
import {
  WORKER_MIN_CORES,
  WORKER_MIN_RECORDS,
  workerWorthIt,
} from "../../../functions/kit/rebuild-reader.ts";
import { sampleEvent } from "../../support/samples.ts";

/** A record as the log reader gives it: Buffer headers and value. */
function incoming(record: ReturnType<typeof toKafkaRecord>, offset: number): IncomingRecord {
  return {
    topic: record.topic,
    partition: 0,
    offset: String(offset),
    timestamp: 0,
    key: Buffer.from(record.key),
    value: record.value,
    headers: Object.fromEntries(
      Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v, "utf8")]),
    ),
  };
}

describe("decodeForProjection (what a rebuild buffers per record)", () => {
  const placed = sampleEvent("OrderPlaced");
  const reserved = sampleEvent("InventoryReserved");

  it("given records of read and unread types and a broken one, when decoded, then events, null and undefined", () => {
    const broken = incoming(toKafkaRecord(placed), 12);
    const out: DecodedRecord[] = [];
    decodeForProjection(
      [
        incoming(toKafkaRecord(placed), 10),
        incoming(toKafkaRecord(reserved), 11),
        { ...broken, value: Buffer.from("{not json") },
      ],
      new Set(["OrderPlaced"]),
      out,
    );
    expect(out.map((r) => r.offset)).toEqual([10, 11, 12]);
    expect(out[0]?.event).toEqual(placed);
    expect(out[1]?.event).toBeNull();
    expect(out[2]?.event).toBeUndefined();
  });
});

describe("workerWorthIt", () => {
  const connection = { brokers: ["127.0.0.1:9092"], clientId: "t", auth: "none" } as const;
  it("needs spare cores, a connection another thread can open and enough records", () => {
    expect(workerWorthIt(connection, WORKER_MIN_RECORDS, WORKER_MIN_CORES)).toBe(true);
    expect(workerWorthIt(connection, WORKER_MIN_RECORDS - 1, WORKER_MIN_CORES)).toBe(false);
    expect(workerWorthIt(connection, WORKER_MIN_RECORDS, WORKER_MIN_CORES - 1)).toBe(false);
    expect(workerWorthIt(undefined, WORKER_MIN_RECORDS, 8)).toBe(false);
  });
});

describe("BloomFilter", () => {
  it("never forgets what was added, and rejects most of what was not", () => {
    const bloom = new BloomFilter(1 << 20);
    for (let i = 0; i < 20_000; i++) bloom.add(`order-summary#v2#o-${i}\u0000view`);
    for (let i = 0; i < 20_000; i++)
      expect(bloom.mayContain(`order-summary#v2#o-${i}\u0000view`)).toBe(true);
    let falsePositives = 0;
    for (let i = 20_000; i < 40_000; i++) {
      if (bloom.mayContain(`order-summary#v2#o-${i}\u0000view`)) falsePositives++;
    }
    expect(falsePositives).toBeLessThan(200);
  });
});
