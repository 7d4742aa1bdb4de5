import { describe, expect, it } from "vitest";
import { allEventDefinitions } from "../../../events/registry.ts";
import { topicSpecs, topicsFor, validateTopicSpecs } from "../../../events/topics.ts";

const good = {
  kind: "events",
  partitions: 3,
  retentionMs: 86_400_000,
  cleanupPolicy: "delete",
  description: "x",
};

describe("topics", () => {
  it("follow the design's settings", () => {
    const byName = Object.fromEntries(topicsFor("aws").map((t) => [t.name, t]));
    expect(byName["order-events"]).toMatchObject({
      partitions: 12,
      replicationFactor: 3,
      configs: {
        "retention.ms": "604800000",
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
      },
    });
    // The broker stamps every record (the saga's watermark relies on it).
    for (const topic of topicsFor("aws")) {
      expect(topic.configs["message.timestamp.type"], topic.name).toBe("LogAppendTime");
    }
    expect(byName["inventory-events"]).toMatchObject({
      partitions: 6,
      configs: { "retention.ms": "259200000" },
    });
    expect(byName["customer-events"]).toMatchObject({
      partitions: 8,
      configs: { "retention.ms": "2592000000" },
    });
    expect(byName["dead-letters"]?.kind).toBe("dead-letters");
  });

  it("replicate per environment", () => {
    expect(new Set(topicsFor("local").map((t) => t.replicationFactor))).toEqual(new Set([1]));
    const cluster = topicsFor("local-cluster");
    expect(new Set(cluster.map((t) => t.replicationFactor))).toEqual(new Set([3]));
    expect(new Set(cluster.map((t) => t.configs["min.insync.replicas"]))).toEqual(new Set(["2"]));
  });

  it.each([
    [{ "x-events": { ...good, partitions: 0 } }, /topic x-events: partitions: .*>=1/],
    [{ "x-events": { ...good, retentionMs: 5 } }, /topic x-events: retentionMs: expected -1/],
    [{ "x-events": { ...good, cleanupPolicy: "forever" } }, /topic x-events: cleanupPolicy/],
    [{ "x-events": { ...good, kind: "misc" } }, /topic x-events: kind/],
    [{ X_Events: good }, /topic X_Events: name/],
  ])("a bad setting names the topic and the field (%#)", (specs, message) => {
    expect(() => validateTopicSpecs(specs)).toThrow(message);
  });

  it("every command topic and event topic is used by the catalog", () => {
    const used = new Set(allEventDefinitions().map((d) => d.topic));
    for (const [name, spec] of Object.entries(topicSpecs)) {
      if (spec.kind !== "dead-letters") expect(used, name).toContain(name);
    }
  });
});

describe("catalog entries", () => {
  it("derive the lane from the name: only *Requested types are critical and on the fast lane", () => {
    for (const d of allEventDefinitions()) {
      expect(d.critical, d.type).toBe(d.type.endsWith("Requested"));
      expect(d.lanes, d.type).toEqual(d.critical ? ["log", "fast"] : ["log"]);
      expect(topicSpecs[d.topic].kind, d.type).toBe(d.critical ? "commands" : "events");
    }
  });

  it("include the design's critical commands", () => {
    const critical = allEventDefinitions()
      .filter((d) => d.critical)
      .map((d) => d.type);
    expect(critical).toEqual(
      expect.arrayContaining([
        "PlaceOrderRequested",
        "ReserveInventoryRequested",
        "ProcessPaymentRequested",
        "ScheduleDeliveryRequested",
        "ReleaseInventoryRequested",
        "RefundPaymentRequested",
        "CancelOrderRequested",
      ]),
    );
  });
});
