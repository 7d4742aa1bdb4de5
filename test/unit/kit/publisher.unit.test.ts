import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { EventError } from "../../../events/errors.ts";
import type { FastLane, FastLaneResult } from "../../../functions/kit/fast-lane.ts";
import type { History, HistoryEntry } from "../../../functions/kit/history.ts";
import { LogPublishError, PublishRefusedError } from "../../../functions/kit/log/errors.ts";
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
      if (options.logFails)
        throw new LogPublishError(["t"], { cause: new Error("not enough replicas") });
      logged.push(...records);
      return records.map((r, i) => ({ topic: r.topic, partition: 0, offset: String(i) }));
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
  return {
    steps,
    logged,
    publisher: new Publisher({
      log,
      fastLane,
      retry: { budgetMs: 50, baseDelayMs: 1, maxDelayMs: 5 },
    }),
  };
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
    expect(steps.length).toBeGreaterThan(1);
    expect(new Set(steps)).toEqual(new Set(["log"]));
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

/** A log that fails the first `failures` sends (or hangs them), then acknowledges. */
function flakyLog(failures: number, mode: "refuse" | "hang" = "refuse") {
  let sends = 0;
  const log: LogProducer = {
    send: (records) => {
      sends++;
      if (sends <= failures) {
        return mode === "hang"
          ? new Promise(() => undefined)
          : Promise.reject(new LogPublishError(["t"], { cause: new Error("Cannot connect") }));
      }
      return Promise.resolve(
        records.map((r, i) => ({ topic: `ns.${r.topic}`, partition: 3, offset: String(40 + i) })),
      );
    },
    close: async () => undefined,
  };
  return { log, sends: () => sends };
}

function recorder() {
  const entries: HistoryEntry[] = [];
  const history: History = {
    enabled: true,
    record: (entry) => entries.push(entry),
    flush: async () => undefined,
  };
  return { entries, history };
}

const noFastLane: FastLane = {
  send: async (commands) => ({ delivered: commands.map((c) => c.eventId), failed: [] }),
};

describe("Publisher (a log outage: retry budget, then a clear refusal)", () => {
  it("rides through failed sends within the budget and reports where the log put each event", async () => {
    const { log, sends } = flakyLog(3);
    const { entries, history } = recorder();
    const publisher = new Publisher({
      log,
      fastLane: noFastLane,
      history,
      source: "driver",
      retry: { budgetMs: 5_000, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const command = sampleEvent("PlaceOrderRequested");
    const result = await publisher.publish([command]);
    expect(sends()).toBe(4);
    expect(result.positions).toEqual([{ topic: "ns.order-commands", partition: 3, offset: "40" }]);
    expect(entries).toEqual([
      expect.objectContaining({
        k: "publish",
        src: "driver",
        ids: [command.eventId],
        outcome: "acknowledged",
        attempts: 4,
        topics: ["ns.order-commands"],
        positions: [[3, "40"]],
      }),
      expect.objectContaining({ k: "fast-lane", delivered: [command.eventId], failed: [] }),
    ]);
  });

  it("refuses with PublishRefusedError (a LogPublishError) once the budget is spent; nothing reaches the fast lane", async () => {
    const { log, sends } = flakyLog(Number.POSITIVE_INFINITY);
    const { entries, history } = recorder();
    let fastLaneCalls = 0;
    const publisher = new Publisher({
      log,
      fastLane: {
        send: async () => {
          fastLaneCalls++;
          return { delivered: [], failed: [] };
        },
      },
      history,
      retry: { budgetMs: 200, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const command = sampleEvent("PlaceOrderRequested");
    const refusal = await publisher.publish([command]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(PublishRefusedError);
    expect(refusal).toBeInstanceOf(LogPublishError);
    const refused = refusal as PublishRefusedError;
    expect(refused.eventIds).toEqual([command.eventId]);
    expect(refused.attempts).toBe(sends());
    expect(refused.attempts).toBeGreaterThan(1);
    expect(refused.budgetMs).toBe(200);
    expect(refused.elapsedMs).toBeLessThanOrEqual(200 + 50);
    expect(refused.retryable).toBe(true);
    expect(refused.message).toMatch(/Cannot connect/);
    expect(fastLaneCalls).toBe(0);
    expect(entries).toEqual([
      expect.objectContaining({ k: "publish", outcome: "refused", attempts: refused.attempts }),
    ]);
  });

  it("counts a send that is still unanswered when the budget ends as failed, and resets the client", async () => {
    const { log: hanging } = flakyLog(Number.POSITIVE_INFINITY, "hang");
    let resets = 0;
    const log: LogProducer = {
      ...hanging,
      reset: async () => {
        resets++;
      },
    };
    const publisher = new Publisher({
      log,
      fastLane: noFastLane,
      history: recorder().history,
      retry: { budgetMs: 100, baseDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(publisher.publish([sampleEvent("OrderPlaced")])).rejects.toBeInstanceOf(
      PublishRefusedError,
    );
    expect(resets).toBeGreaterThan(0);
  });

  it("does not retry what is not a log refusal (a bug fails at once)", async () => {
    let sends = 0;
    const publisher = new Publisher({
      log: {
        send: async () => {
          sends++;
          throw new TypeError("boom");
        },
        close: async () => undefined,
      },
      fastLane: noFastLane,
      history: recorder().history,
      retry: { budgetMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 },
    });
    await expect(publisher.publish([sampleEvent("OrderPlaced")])).rejects.toBeInstanceOf(TypeError);
    expect(sends).toBe(1);
  });
});
