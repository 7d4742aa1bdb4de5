import { describe, expect, it } from "vitest";
import type { LogAdmin } from "../../../functions/kit/log/port.ts";
import type { InputPosition } from "../../../functions/kit/watermark.ts";
import { largestPast, probeLadder, watermarks } from "../../../functions/kit/watermark.ts";

/** A partition's records as (offset → append time), LogAppendTime: times grow with offsets. */
type Partition = { committed: number; times: number[] };

function setup(partitions: Record<string, Partition>) {
  let lookups = 0;
  const positions: InputPosition[] = Object.entries(partitions).map(([id, p]) => {
    const [topic = "", partition = "0"] = id.split("/");
    return {
      id,
      input: { topic, physicalTopic: `ns.${topic}`, groupId: `g.${topic}` },
      partition: Number(partition),
      committed: BigInt(p.committed),
      end: BigInt(p.times.length),
    };
  });
  const admin = {
    async offsetsAtTime(physicalTopic: string, time: number) {
      lookups++;
      return Object.entries(partitions)
        .filter(([id]) => `ns.${id.split("/")[0]}` === physicalTopic)
        .map(([id, p]) => {
          const first = p.times.findIndex((t) => t >= time);
          return {
            partition: Number(id.split("/")[1]),
            offset: String(first < 0 ? p.times.length : first),
          };
        });
    },
  } as unknown as LogAdmin;
  return { positions, admin, lookups: () => lookups };
}

describe("watermark", () => {
  it("largestPast: the last time of a monotone predicate, by binary search", async () => {
    const asked: number[] = [];
    const past = async (t: number) => {
      asked.push(t);
      return t <= 70;
    };
    const times = Array.from({ length: 100 }, (_, i) => i);
    expect(await largestPast(times, past)).toBe(70);
    expect(asked.length).toBeLessThanOrEqual(8);
    expect(await largestPast([80, 90], past)).toBeUndefined();
    expect(await largestPast([], past)).toBeUndefined();
  });

  it("a ladder of probes 1 s, 2 s, 4 s … about 68 minutes below the latest", () => {
    const ladder = probeLadder(10_000_000);
    expect(ladder.slice(0, 3)).toEqual([9_999_000, 9_998_000, 9_996_000]);
    expect(10_000_000 - Math.min(...ladder)).toBe(4_096_000);
  });

  it("the latest probe every partition is past: the committed offset reaches the first record at or after it", async () => {
    // payment-events/0 has applied records stamped 10, 20; the one stamped 30 is not applied.
    const { positions, admin } = setup({
      "payment-events/0": { committed: 2, times: [10, 20, 30, 40] },
      "order-events/0": { committed: 3, times: [5, 15, 25] },
    });
    const { all, live } = await watermarks(admin, positions, new Set(), [15, 25, 30, 35, 45]);
    expect(all).toBe(30); // everything stamped before 30 is applied; the record at 30 is not
    expect(live).toBe(all);
  });

  it("caught-up partitions are past every probe, and cost no lookup", async () => {
    const { positions, admin, lookups } = setup({
      "payment-events/0": { committed: 4, times: [10, 20, 30, 40] },
      "order-events/0": { committed: 3, times: [5, 15, 25] },
    });
    expect(await watermarks(admin, positions, new Set(), [100, 200])).toEqual({
      all: 200,
      live: 200,
    });
    expect(lookups()).toBe(0);
  });

  it("nothing past: 0; stalled partitions do not count for the live watermark", async () => {
    const { positions, admin } = setup({
      "payment-events/0": { committed: 0, times: [10, 20] },
      "order-events/0": { committed: 1, times: [5, 50] },
    });
    expect(await watermarks(admin, positions, new Set(), [30, 60])).toEqual({ all: 0, live: 0 });
    expect(await watermarks(admin, positions, new Set(["payment-events/0"]), [30, 60, 70])).toEqual(
      {
        all: 0,
        live: 30,
      },
    );
    expect(
      await watermarks(admin, positions, new Set(["payment-events/0", "order-events/0"]), [30, 70]),
    ).toEqual({ all: 0, live: 70 });
  });
});
