import { describe, expect, it } from "vitest";
import { longestStallMs, trackProgress } from "../../../functions/kit/input-progress.ts";
import type { InputPosition } from "../../../functions/kit/watermark.ts";

const input = { topic: "payment-events", physicalTopic: "payment-events", groupId: "g" };
const position = (committed: number, end: number): InputPosition => ({
  id: "payment-events/0",
  input,
  partition: 0,
  committed: BigInt(committed),
  end: BigInt(end),
});
const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, s));
const GRACE = 30_000;

describe("input progress: a stalled consumer", () => {
  it("behind without moving for the grace → stalled", () => {
    let progress = trackProgress({}, [position(5, 9)], at(0), GRACE).progress;
    const held = trackProgress(progress, [position(5, 12)], at(29), GRACE);
    expect(held.stalled).toEqual([]);
    progress = held.progress;
    const stalled = trackProgress(progress, [position(5, 12)], at(30), GRACE);
    expect(stalled.stalled).toEqual(["payment-events/0"]);
    expect(longestStallMs(stalled.progress, stalled.stalled, at(40))).toBe(40_000);
  });

  it("a slow consumer that moves is never stalled, however far behind", () => {
    let progress = {};
    for (let s = 0; s <= 120; s += 10) {
      const tracked = trackProgress(progress, [position(s, 1_000)], at(s), GRACE);
      expect(tracked.stalled).toEqual([]);
      progress = tracked.progress;
    }
  });

  it("caught up is not stalled, and being behind counts from when it was first seen", () => {
    const idle = trackProgress({}, [position(9, 9)], at(0), GRACE);
    expect(idle.progress).toEqual({ "payment-events/0": { committed: "9" } });
    // Idle for an hour, then a record arrives: not stalled at once.
    const arrived = trackProgress(idle.progress, [position(9, 10)], at(3_600), GRACE);
    expect(arrived.stalled).toEqual([]);
    expect(arrived.progress["payment-events/0"]?.behindSince).toBe(at(3_600).toISOString());
  });

  it("says when there is nothing new to save", () => {
    const first = trackProgress({}, [position(9, 9)], at(0), GRACE);
    expect(first.changed).toBe(true);
    expect(trackProgress(first.progress, [position(9, 9)], at(1), GRACE).changed).toBe(false);
  });
});
