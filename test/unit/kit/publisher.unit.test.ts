import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { EventError } from "../../../events/errors.ts";
import type { FastLane, FastLaneResult } from "../../../functions/kit/fast-lane.ts";
import type { LogProducer, OutgoingRecord } from "../../../functions/kit/log/port.ts";
import { Publisher } from "../../../functions/kit/publisher.ts";
import { sampleEvent } from "../../support/samples.ts";

/** The publisher's log-first ordering with in-memory lanes (unit level). */
function lanes(options: { logFails?: boolean; refuse?: ReadonlySet<string> } = {}) {
  const steps: string[] = [];
  const logged: OutgoingRecord[] = [];
  const log: LogProducer = {
    send: async (records) => {
      steps.push("log");
      if (options.logFails) throw new Error("not enough replicas");
      logged.push(...records);
    },
    close: async () => undefined,
  };
  const fastLane: FastLane = {
    send: async (commands: readonly EventEnvelope[]): Promise<FastLaneResult> => {
      steps.push("fast-lane");
      const refuse = options.refuse ?? new Set<string>();
      return {
        delivered: commands.filter((c) => !refuse.has(c.eventId)).map((c) => c.eventId),
        failed: commands
          .filter((c) => refuse.has(c.eventId))
          .map((c) => ({ eventId: c.eventId, errorCode: "InternalFailure", errorMessage: "" })),
      };
    },
  };
  return { steps, logged, publisher: new Publisher({ log, fastLane }) };
}

describe("Publisher (log first)", () => {
  it("writes every event to the log, then only critical commands to the fast lane", async () => {
    const { steps, logged, publisher } = lanes();
    const command = sampleEvent("PlaceOrderRequested");
    const fact = sampleEvent("OrderPlaced");
    const result = await publisher.publish([command, fact]);
    expect(steps).toEqual(["log", "fast-lane"]);
    expect(logged.map((r) => r.headers.ce_id)).toEqual([command.eventId, fact.eventId]);
    expect(result.logged).toEqual([command.eventId, fact.eventId]);
    expect(result.fastLane.delivered).toEqual([command.eventId]);
  });

  it("does not touch the fast lane for facts only", async () => {
    const { steps, publisher } = lanes();
    await publisher.publish([sampleEvent("OrderPlaced"), sampleEvent("PaymentProcessed")]);
    expect(steps).toEqual(["log"]);
  });

  it("puts nothing on the fast lane when the log does not acknowledge", async () => {
    const { steps, publisher } = lanes({ logFails: true });
    await expect(publisher.publish([sampleEvent("PlaceOrderRequested")])).rejects.toThrow(
      /replicas/,
    );
    expect(steps).toEqual(["log"]);
  });

  it("publishes nothing when one event of the call is invalid", async () => {
    const { steps, publisher } = lanes();
    const bad = { ...sampleEvent("PlaceOrderRequested"), data: { orderId: 7 } };
    await expect(
      publisher.publish([sampleEvent("PlaceOrderRequested"), bad as unknown as EventEnvelope]),
    ).rejects.toBeInstanceOf(EventError);
    expect(steps).toEqual([]);
  });

  it("reports fast-lane refusals in the result instead of throwing", async () => {
    const command = sampleEvent("ProcessPaymentRequested");
    const { publisher } = lanes({ refuse: new Set([command.eventId]) });
    const result = await publisher.publish([command]);
    expect(result.logged).toEqual([command.eventId]);
    expect(result.fastLane.failed.map((f) => f.eventId)).toEqual([command.eventId]);
  });
});
