import { internedText } from "../../events/codecs/interned-text.ts";
import { CE_HEADERS, fromKafkaRecord } from "../../events/codecs/kafka.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { EventError } from "../../events/errors.ts";
import type { IncomingRecord } from "./log/port.ts";

/** One record of a projection's topics, as the rebuild buffers it. */
export interface DecodedRecord {
  /**
   * The record's offset. A number, not a bigint: a rebuild handles millions of them, and a
   * partition reaches 2^53 records only after ~285 years at a million records per second.
   */
  readonly offset: number;
  /** `null`: a record the projection does not read; `undefined`: not a catalog event. */
  readonly event: EventEnvelope | null | undefined;
}

/**
 * Decodes the records of a batch that a projection reads (by the `ce_type` header, before any
 * parsing) and appends them to `out`; records of other types keep only their offset. What the
 * live projector would dead-letter (not a catalog event) comes out `undefined`: the rebuild skips
 * it, as the live projector does.
 *
 * @example
 * ```ts
 * const out: DecodedRecord[] = [];
 * decodeForProjection(batch.records, orderSummaryProjection.eventTypes, out);
 * ```
 */
export function decodeForProjection(
  records: readonly IncomingRecord[],
  types: ReadonlySet<string>,
  out: DecodedRecord[],
): void {
  for (const record of records) {
    const typeBytes = record.headers[CE_HEADERS.type];
    const type = typeBytes === undefined ? undefined : internedText(typeBytes);
    let event: DecodedRecord["event"] = null;
    if (type === undefined || types.has(type)) {
      try {
        event = fromKafkaRecord(record);
      } catch (error) {
        if (!(error instanceof EventError)) throw error;
        event = undefined;
      }
    }
    out.push({ offset: Number(record.offset), event });
  }
}
