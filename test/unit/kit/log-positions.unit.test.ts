import { describe, expect, it } from "vitest";
import { positionsOf } from "../../../functions/kit/log/positions.ts";

describe("positionsOf (a produce answer's base offsets → each record's offset)", () => {
  it("numbers the records of each partition from its base, in the order they were sent", () => {
    const sent = [
      { topic: "a", partition: 1 },
      { topic: "b", partition: 0 },
      { topic: "a", partition: 1 },
      { topic: "a", partition: 2 },
      { topic: "a", partition: 1 },
    ];
    const bases = [
      { topic: "a", partition: 1, baseOffset: 41n },
      { topic: "a", partition: 2, baseOffset: "7" },
      { topic: "b", partition: 0, baseOffset: 0 },
    ];
    expect(positionsOf(sent, bases).map((p) => `${p.topic}/${p.partition}@${p.offset}`)).toEqual([
      "a/1@41",
      "b/0@0",
      "a/1@42",
      "a/2@7",
      "a/1@43",
    ]);
  });

  it("gives offset -1 to a record whose partition is unknown or absent from the answer", () => {
    expect(
      positionsOf(
        [
          { topic: "a", partition: -1 },
          { topic: "a", partition: 5 },
        ],
        [{ topic: "a", partition: 0, baseOffset: 3n }],
      ).map((p) => p.offset),
    ).toEqual(["-1", "-1"]);
  });
});
