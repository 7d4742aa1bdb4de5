import { randomBytes } from "node:crypto";

/**
 * Event ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps
 * ids from one process strictly increasing within the same millisecond (the RFC's "method 1"),
 * then 62 random bits. So ids sort by creation time, and two processes never collide.
 */

let lastMs = -1;
let counter = 0;

/**
 * A new time-ordered event id.
 *
 * @example
 * ```ts
 * const a = newEventId();
 * const b = newEventId();
 * a < b; // true: later ids sort after earlier ones
 * ```
 */
export function newEventId(nowMs: number = Date.now()): string {
  let ms = Math.max(nowMs, lastMs);
  if (ms === lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      // The counter is spent: borrow the next millisecond rather than lose ordering.
      ms += 1;
      counter = randomBytes(1)[0] ?? 0;
    }
  } else {
    // Start low in the counter space so that many ids fit in one millisecond.
    counter = randomBytes(1)[0] ?? 0;
  }
  lastMs = ms;

  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a string is a UUID in canonical lower-case form (any version). */
export function isEventId(value: string): boolean {
  return UuidPattern.test(value);
}

/** The creation time (Unix ms) encoded in a UUIDv7 event id. */
export function eventIdTime(eventId: string): number {
  return Number.parseInt(eventId.replaceAll("-", "").slice(0, 12), 16);
}
