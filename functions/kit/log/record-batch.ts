import { compressionsAlgorithmsByBitmask } from "@platformatic/kafka";
import { internedText } from "../../../events/codecs/interned-text.ts";
import { LogAdminError } from "./errors.ts";
import type { IncomingRecord } from "./port.ts";

/**
 * Kafka's record batch (message format v2) read straight from a fetch response's bytes into
 * {@link IncomingRecord}s: the rebuild's and the queries' reading path, where the general
 * decoder's per-field reader and intermediate objects cost as much as everything after it.
 * Layout (Kafka protocol guide, "Record Batch"): a 61-byte header (base offset, length, epoch,
 * magic, CRC, attributes, last offset delta, base and max timestamp, producer id and epoch, base
 * sequence, record count), then the records, each with zig-zag varints for its length, timestamp
 * and offset deltas, key, value and headers.
 */

const HEADER_BYTES = 61;
const COMPRESSION_BITS = 0x07;
const CONTROL_BIT = 0x20;

/** Where {@link readRecordBatches} stopped: the offset after the last whole batch read. */
export interface BatchesRead {
  /** The next offset to fetch (after the last complete batch), or `undefined` if none was whole. */
  readonly next: bigint | undefined;
}

/**
 * Appends the records of `[from, to)` found in `bytes` (a partition's record set from a fetch
 * response) to `out`. A batch cut off at the end of the bytes (the broker's size limit) is left
 * for the next fetch; control batches are skipped; compressed batches are inflated first.
 *
 * @example
 * ```ts
 * const out: IncomingRecord[] = [];
 * const { next } = readRecordBatches(bytes, "orders", 0, 0n, 100n, out);
 * ```
 */
export function readRecordBatches(
  bytes: Buffer,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
  out: IncomingRecord[],
): BatchesRead {
  let position = 0;
  let next: bigint | undefined;
  const fromNumber = Number(from);
  const toNumber = Number(to);
  while (bytes.length - position >= 12) {
    const batchLength = bytes.readInt32BE(position + 8);
    const end = position + 12 + batchLength;
    if (end > bytes.length) break;
    const baseOffset = bytes.readBigInt64BE(position);
    const magic = bytes.readInt8(position + 16);
    if (magic !== 2) {
      throw new LogAdminError("read", `${topic}:${partition}`, {
        cause: new Error(
          `record batch at offset ${baseOffset} has magic ${magic}; only v2 is read`,
        ),
      });
    }
    const attributes = bytes.readInt16BE(position + 21);
    const lastOffsetDelta = bytes.readInt32BE(position + 23);
    next = baseOffset + BigInt(lastOffsetDelta) + 1n;
    if ((attributes & CONTROL_BIT) === 0 && next > from && baseOffset < to) {
      const base = Number(baseOffset);
      const baseTimestamp = Number(bytes.readBigInt64BE(position + 27));
      const count = bytes.readInt32BE(position + 57);
      let records = bytes.subarray(position + HEADER_BYTES, end);
      const compression = attributes & COMPRESSION_BITS;
      if (compression !== 0) {
        const algorithm = compressionsAlgorithmsByBitmask[compression];
        if (algorithm === undefined) {
          throw new LogAdminError("read", `${topic}:${partition}`, {
            cause: new Error(
              `record batch at offset ${baseOffset}: unknown compression ${compression}`,
            ),
          });
        }
        records = algorithm.decompressSync(records);
      }
      readRecords(records, count, topic, partition, base, baseTimestamp, fromNumber, toNumber, out);
    }
    position = end;
  }
  return { next };
}

function readRecords(
  bytes: Buffer,
  count: number,
  topic: string,
  partition: number,
  baseOffset: number,
  baseTimestamp: number,
  from: number,
  to: number,
  out: IncomingRecord[],
): void {
  const cursor = { at: 0 };
  for (let i = 0; i < count; i++) {
    const length = varint(bytes, cursor);
    const end = cursor.at + length;
    cursor.at++; // attributes (unused in v2)
    const timestampDelta = varint(bytes, cursor);
    const offset = baseOffset + varint(bytes, cursor);
    if (offset < from || offset >= to) {
      cursor.at = end;
      continue;
    }
    const key = bytesField(bytes, cursor);
    const value = bytesField(bytes, cursor);
    const headerCount = varint(bytes, cursor);
    const headers: Record<string, Buffer> = {};
    for (let h = 0; h < headerCount; h++) {
      const nameLength = varint(bytes, cursor);
      const name = internedText(bytes, cursor.at, cursor.at + nameLength);
      cursor.at += nameLength;
      const headerValue = bytesField(bytes, cursor);
      if (headerValue !== null) headers[name] = headerValue;
    }
    out.push({
      topic,
      partition,
      offset: String(offset),
      timestamp: baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
    cursor.at = end;
  }
}

/** A zig-zag varint (up to 2^53: offsets and timestamp deltas fit). */
function varint(bytes: Buffer, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = bytes[cursor.at++] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

function bytesField(bytes: Buffer, cursor: { at: number }): Buffer | null {
  const length = varint(bytes, cursor);
  if (length < 0) return null;
  const start = cursor.at;
  cursor.at += length;
  return bytes.subarray(start, cursor.at);
}
