import { describe, expect, it } from "vitest";
import { listOffsetsPerTopic } from "../../../functions/kit/log/offsets-query.ts";

/** An admin of two topics of 3 partitions, offsets by time a fixed table (pure logic). */
const admin = {
  async listTopics() {
    return ["a", "b"];
  },
  async topicOffsets(topic: string) {
    if (topic === "missing") return [];
    return [0, 1, 2].map((partition) => ({ partition, low: "0", high: String(100 + partition) }));
  },
  async offsetsAtTime(_topic: string, timestampMs: number) {
    return [0, 1, 2].map((partition) => ({
      partition,
      offset: String(timestampMs / 1000 + partition),
    }));
  },
};

describe("listOffsetsPerTopic", () => {
  it("Given topics and times, When listed, Then each wanted partition has its offsets in the times' order", async () => {
    const offsets = await listOffsetsPerTopic(admin, {
      topics: ["a", "missing", "b"],
      partitions: (topic) => (topic === "a" ? [1] : [0, 2]),
      timesMs: [5_000, 7_000],
    });
    expect(offsets).toEqual([
      { topic: "a", partition: 1, low: "0", high: "101", atTimes: ["6", "8"] },
      { topic: "b", partition: 0, low: "0", high: "100", atTimes: ["5", "7"] },
      { topic: "b", partition: 2, low: "0", high: "102", atTimes: ["7", "9"] },
    ]);
  });

  it("Given no partitions or times, When listed, Then every partition comes with its low and high only", async () => {
    const offsets = await listOffsetsPerTopic(admin, { topics: ["a"] });
    expect(offsets.map((o) => [o.partition, o.atTimes.length])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
  });
});
