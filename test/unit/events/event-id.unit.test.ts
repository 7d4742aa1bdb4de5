import { describe, expect, it } from "vitest";
import { eventIdTime, isEventId, newEventId } from "../../../events/event-id.ts";

describe("event ids (UUIDv7)", () => {
  it("are UUIDs of version 7 with the RFC variant", () => {
    const id = newEventId();
    expect(isEventId(id)).toBe(true);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
  });

  it("sort strictly by creation, even within one millisecond", () => {
    const ids = Array.from({ length: 10_000 }, () => newEventId(1_700_000_000_000));
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("never go backwards when the clock does", () => {
    const later = newEventId(1_800_000_000_000);
    const earlierClock = newEventId(1_799_999_999_000);
    expect(earlierClock > later).toBe(true);
  });

  it("carry their creation time", () => {
    const ms = 1_900_000_000_123;
    expect(eventIdTime(newEventId(ms))).toBeGreaterThanOrEqual(ms);
  });
});
