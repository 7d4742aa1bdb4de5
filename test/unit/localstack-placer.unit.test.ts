import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../events/envelope.ts";
import { LogPublishError } from "../../functions/kit/log/errors.ts";
import { OrderPlacer } from "../../localstack/demo/placer.ts";
import { sampleEvent } from "../support/samples.ts";

const refusal = () => new LogPublishError(["t.order-commands"], { cause: new Error("down") });

describe("OrderPlacer (the demo's shop front)", () => {
  it("retries refused calls with the same envelopes until the log takes them, and counts", async () => {
    const calls: string[][] = [];
    let refuseFirst = 3;
    const placer = new OrderPlacer(
      async (events: readonly EventEnvelope[]) => {
        calls.push(events.map((e) => e.eventId));
        if (refuseFirst-- > 0) throw refusal();
      },
      { baseDelayMs: 2, maxDelayMs: 4 },
    );
    const order = sampleEvent("PlaceOrderRequested");
    placer.place([order]);
    await placer.settled();
    expect(calls).toEqual([[order.eventId], [order.eventId], [order.eventId], [order.eventId]]);
    expect(placer.report()).toMatchObject({
      accepted: 1,
      refused: 3,
      retried: 3,
      delayedEvents: 1,
      givenUp: [],
    });
    expect(placer.firstAcceptanceAfter(0)).toBeTypeOf("number");
  });

  it("keeps taking new orders while a refused one waits", async () => {
    const accepted: string[] = [];
    let down = true;
    const placer = new OrderPlacer(
      async (events) => {
        if (down) throw refusal();
        accepted.push(...events.map((e) => e.eventId));
      },
      { baseDelayMs: 20, maxDelayMs: 20 },
    );
    const first = sampleEvent("PlaceOrderRequested");
    const second = sampleEvent("PlaceOrderRequested");
    placer.place([first]);
    placer.place([second]);
    expect(placer.pending).toBe(2);
    down = false;
    await placer.settled();
    expect(accepted.sort()).toEqual([first.eventId, second.eventId].sort());
  });

  it("gives up on a call refused for longer than its limit, and reports it", async () => {
    const placer = new OrderPlacer(
      async () => {
        throw refusal();
      },
      { baseDelayMs: 2, maxDelayMs: 4, giveUpAfterMs: 30 },
    );
    const order = sampleEvent("PlaceOrderRequested");
    placer.place([order]);
    await placer.settled();
    expect(placer.report().givenUp).toEqual([order.eventId]);
    expect(placer.report().accepted).toBe(0);
  });

  it("throws what is not a refusal (bad input, a bug) when settled", async () => {
    const placer = new OrderPlacer(async () => {
      throw new TypeError("bug");
    });
    placer.place([sampleEvent("PlaceOrderRequested")]);
    await expect(placer.settled()).rejects.toBeInstanceOf(TypeError);
  });
});
