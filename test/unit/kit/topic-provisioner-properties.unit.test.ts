import { describe, expect, it } from "vitest";
import { topicsFor } from "../../../events/topics.ts";
import { topicsFromProperties } from "../../../functions/topic-provisioner/properties.ts";

describe("topic provisioner properties", () => {
  it("turns the strings CloudFormation passes back into numbers", () => {
    const asCloudFormationSendsThem = topicsFor("aws").map((t) => ({
      ...t,
      partitions: String(t.partitions),
      replicationFactor: String(t.replicationFactor),
    }));
    expect(topicsFromProperties({ topics: asCloudFormationSendsThem })).toEqual(topicsFor("aws"));
  });

  it("refuses a value that is not a positive integer, naming the topic and field", () => {
    const [first] = topicsFor("aws");
    if (first === undefined) throw new Error("the catalog has no topics");
    expect(() =>
      topicsFromProperties({
        topics: [{ ...first, partitions: "twelve" }],
      }),
    ).toThrow(/topic order-events: partitions: expected a positive integer, got "twelve"/);
  });
});
