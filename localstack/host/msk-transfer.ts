import type { MskEventRecord } from "../../events/codecs/lambda.ts";
import type { IncomingRecord } from "../../functions/kit/log/port.ts";

/**
 * How the local host hands a batch of log records to an execution environment cheaply. Lambda's
 * MSK event carries each value as base64 and each header as an array of byte values; built on the
 * host's thread and structured-cloned to the worker, that shape cost ~60 µs of the host's CPU
 * per record (an array of numbers per header byte, cloned one by one). Instead the host copies
 * every record's bytes into one buffer, describes them in a second, and transfers both (no
 * copy); the execution environment builds the exact MSK event from them before calling the
 * handler, as Lambda's own service does outside the function.
 */

/** A batch of one or more partitions, packed for a transfer to a worker thread. */
export interface PackedMskEvent {
  readonly kind: "duplex-packed-msk";
  readonly eventSourceArn: string;
  readonly bootstrapServers: string;
  /** Topic of each partition, in order. */
  readonly topics: readonly string[];
  /** Header names, interned: every record of a topic carries the same few. */
  readonly headerNames: readonly string[];
  /**
   * Per partition: topic index, partition, record count; per record: offset, timestamp, key
   * start, key length (-1: no key), value start, value length, header count; per header: name
   * index, start, length. Offsets and timestamps are below 2^53, like the MSK event's numbers.
   */
  readonly layout: Float64Array;
  /** Every key, value and header value, back to back. */
  readonly bytes: Uint8Array;
}

/** Records of one partition, in log order. */
export interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly IncomingRecord[];
}

/** Whether an invocation's event is a packed MSK batch. */
export function isPackedMskEvent(event: unknown): event is PackedMskEvent {
  return (
    typeof event === "object" &&
    event !== null &&
    (event as { kind?: unknown }).kind === "duplex-packed-msk"
  );
}

/**
 * Packs partitions' records; transfer `[packed.layout.buffer, packed.bytes.buffer]` with it.
 *
 * @example
 * ```ts
 * const packed = packMskEvent([{ topic, partition: 0, records }], { eventSourceArn, bootstrapServers });
 * worker.postMessage(packed, [packed.layout.buffer, packed.bytes.buffer]);
 * ```
 */
export function packMskEvent(
  partitions: readonly PartitionRecords[],
  source: { readonly eventSourceArn: string; readonly bootstrapServers: string },
): PackedMskEvent {
  const topics: string[] = [];
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  let byteCount = 0;
  let slots = 0;
  for (const { records } of partitions) {
    slots += 3;
    for (const record of records) {
      slots += 7;
      byteCount += (record.key?.length ?? 0) + (record.value?.length ?? 0);
      for (const name in record.headers) {
        slots += 3;
        byteCount += record.headers[name]?.length ?? 0;
      }
    }
  }
  const layout = new Float64Array(slots);
  const bytes = new Uint8Array(byteCount);
  let at = 0;
  let end = 0;
  const copy = (buffer: Buffer): number => {
    const start = end;
    bytes.set(buffer, start);
    end += buffer.length;
    return start;
  };
  for (const { topic, partition, records } of partitions) {
    let topicIndex = topics.indexOf(topic);
    if (topicIndex === -1) topicIndex = topics.push(topic) - 1;
    layout[at++] = topicIndex;
    layout[at++] = partition;
    layout[at++] = records.length;
    for (const record of records) {
      layout[at++] = Number(record.offset);
      layout[at++] = record.timestamp;
      if (record.key === null) {
        layout[at++] = 0;
        layout[at++] = -1;
      } else {
        layout[at++] = copy(record.key);
        layout[at++] = record.key.length;
      }
      const value = record.value ?? Buffer.alloc(0);
      layout[at++] = copy(value);
      layout[at++] = value.length;
      const countAt = at++;
      let count = 0;
      for (const name in record.headers) {
        const header = record.headers[name];
        if (header === undefined) continue;
        let index = nameIndex.get(name);
        if (index === undefined) {
          index = names.push(name) - 1;
          nameIndex.set(name, index);
        }
        layout[at++] = index;
        layout[at++] = copy(header);
        layout[at++] = header.length;
        count++;
      }
      layout[countAt] = count;
    }
  }
  return {
    kind: "duplex-packed-msk",
    ...source,
    topics,
    headerNames: names,
    layout: at === slots ? layout : layout.subarray(0, at),
    bytes,
  };
}

/** The buffers to transfer (not copy) with a packed event. */
export function transferablesOf(packed: PackedMskEvent): ArrayBuffer[] {
  return [packed.layout.buffer as ArrayBuffer, packed.bytes.buffer as ArrayBuffer];
}

function byteArray(bytes: Uint8Array, start: number, length: number): number[] {
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = bytes[start + i] as number;
  return out;
}

/** The Lambda MSK event a packed batch stands for, exactly as Lambda would deliver it. */
export function unpackMskEvent(packed: PackedMskEvent): {
  eventSource: "aws:kafka";
  eventSourceArn: string;
  bootstrapServers: string;
  records: Record<string, MskEventRecord[]>;
} {
  const { layout, bytes, topics, headerNames } = packed;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Record<string, MskEventRecord[]> = {};
  let at = 0;
  while (at < layout.length) {
    const topic = topics[layout[at++] as number] ?? "";
    const partition = layout[at++] as number;
    const count = layout[at++] as number;
    const list: MskEventRecord[] = [];
    for (let r = 0; r < count; r++) {
      const offset = layout[at++] as number;
      const timestamp = layout[at++] as number;
      const keyStart = layout[at++] as number;
      const keyLength = layout[at++] as number;
      const valueStart = layout[at++] as number;
      const valueLength = layout[at++] as number;
      const headerCount = layout[at++] as number;
      const headers: Record<string, number[]>[] = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const name = headerNames[layout[at++] as number] ?? "";
        const start = layout[at++] as number;
        const length = layout[at++] as number;
        headers[h] = { [name]: byteArray(bytes, start, length) };
      }
      list.push({
        topic,
        partition,
        offset,
        timestamp,
        // Every topic stamps records with the broker's clock (`message.timestamp.type`).
        timestampType: "LOG_APPEND_TIME",
        ...(keyLength < 0
          ? {}
          : { key: buffer.toString("base64", keyStart, keyStart + keyLength) }),
        value: buffer.toString("base64", valueStart, valueStart + valueLength),
        headers,
      });
    }
    // Lambda groups a payload's records by "<topic>-<partition>".
    const key = `${topic}-${partition}`;
    records[key] = [...(records[key] ?? []), ...list];
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn: packed.eventSourceArn,
    bootstrapServers: packed.bootstrapServers,
    records,
  };
}

/**
 * Records in an invocation's MSK event, packed or not (for counters). Call it before the packed
 * event is posted: a transfer empties its buffers on this side.
 */
export function recordCountOf(event: unknown): number {
  if (isPackedMskEvent(event)) {
    let count = 0;
    let at = 0;
    const { layout } = event;
    while (at < layout.length) {
      const records = layout[at + 2] as number;
      count += records;
      at += 3;
      for (let r = 0; r < records; r++) at += 7 + 3 * (layout[at + 6] as number);
    }
    return count;
  }
  const records = (event as { records?: Record<string, unknown[]> } | undefined)?.records;
  return records === undefined ? 0 : Object.values(records).reduce((n, list) => n + list.length, 0);
}
