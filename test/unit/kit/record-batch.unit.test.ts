import { createRecordsBatch, Reader, readRecordsBatches } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import type { IncomingRecord } from "../../../functions/kit/log/port.ts";
import { readRecordBatches } from "../../../functions/kit/log/record-batch.ts";

/** A record batch as a producer writes it, its first offset set to `baseOffset`. */
function encodedBatch(
  baseOffset: bigint,
  count: number,
  compression: "none" | "gzip" | "lz4" = "none",
): Buffer {
  const messages = Array.from({ length: count }, (_, i) => ({
    topic: "t",
    key: i % 3 === 0 ? undefined : Buffer.from(`order-${i}`),
    value: Buffer.from(JSON.stringify({ i, text: "é".repeat(i) })),
    headers: new Map([
      [Buffer.from("ce_type"), Buffer.from("OrderPlaced")],
      [Buffer.from("ce_id"), Buffer.from(`id-${i}`)],
    ]),
    timestamp: 1_700_000_000_000n + BigInt(i * 1_000),
  }));
  const bytes = Buffer.from(
    createRecordsBatch(messages as never, { compression }).buffer as Uint8Array,
  );
  bytes.writeBigInt64BE(baseOffset, 0);
  return bytes;
}

/** What the library's own decoder reads from the same bytes. */
function libraryRead(bytes: Buffer): IncomingRecord[] {
  return readRecordsBatches(Reader.from(bytes)).flatMap((batch) =>
    batch.records.map((r) => ({
      topic: "t",
      partition: 0,
      offset: String(batch.firstOffset + BigInt(r.offsetDelta)),
      timestamp: Number(batch.firstTimestamp + r.timestampDelta),
      key: r.key,
      value: r.value,
      headers: Object.fromEntries(
        r.headers.flatMap(([k, v]) => (k === null || v === null ? [] : [[k.toString("utf8"), v]])),
      ),
    })),
  );
}

describe("readRecordBatches (record batch v2 from a fetch response's bytes)", () => {
  it("reads what the library's decoder reads: offsets, times, keys, values, headers", () => {
    const bytes = Buffer.concat([encodedBatch(1_000n, 20), encodedBatch(1_020n, 5)]);
    const out: IncomingRecord[] = [];
    const { next } = readRecordBatches(bytes, "t", 0, 0n, 10_000n, out);
    expect(next).toBe(1_025n);
    expect(out).toEqual(libraryRead(bytes));
    expect(out[1]?.offset).toBe("1001");
    expect(out[0]?.key).toBeNull();
  });

  it("keeps only the range, and leaves a batch cut off at the end for the next fetch", () => {
    const whole = Buffer.concat([encodedBatch(0n, 10), encodedBatch(10n, 10)]);
    const cut = whole.subarray(0, whole.length - 7);
    const out: IncomingRecord[] = [];
    const { next } = readRecordBatches(cut, "t", 0, 3n, 8n, out);
    expect(next).toBe(10n);
    expect(out.map((r) => r.offset)).toEqual(["3", "4", "5", "6", "7"]);
  });

  it.each(["gzip", "lz4"] as const)("inflates %s batches (lz4: the producers' codec)", (codec) => {
    const bytes = encodedBatch(42n, 8, codec);
    const out: IncomingRecord[] = [];
    readRecordBatches(bytes, "t", 0, 0n, 100n, out);
    expect(out).toEqual(libraryRead(bytes));
    expect(out).toHaveLength(8);
  });
});
