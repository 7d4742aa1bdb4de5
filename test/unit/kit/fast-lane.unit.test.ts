import type {
  EventBridgeClient,
  PutEventsCommand,
  PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { EventBridgeFastLane } from "../../../functions/kit/fast-lane.ts";
import { sampleEvent } from "../../support/samples.ts";

/**
 * EventBridgeFastLane's retry bookkeeping against a stubbed client (a unit test: the real PutEvents
 * is exercised in test/int/runtime-put-events.int.test.ts).
 */

interface Call {
  readonly at: number;
  readonly eventIds: string[];
  readonly busNames: string[];
}

type Answer = (eventIds: string[], call: number) => PutEventsResultEntry[] | Error;

/** A client whose PutEvents answers with `answer`, recording each call. */
function stubClient(answer: Answer) {
  const calls: Call[] = [];
  const client = {
    send: async (command: PutEventsCommand) => {
      const entries = command.input.Entries ?? [];
      const eventIds = entries.map(
        (e) => (JSON.parse(e.Detail ?? "{}") as { eventId: string }).eventId,
      );
      calls.push({ at: Date.now(), eventIds, busNames: entries.map((e) => e.EventBusName ?? "") });
      const result = answer(eventIds, calls.length);
      if (result instanceof Error) throw result;
      return { FailedEntryCount: result.filter((e) => e.ErrorCode).length, Entries: result };
    },
  } as unknown as EventBridgeClient;
  return { client, calls };
}

const ok = (): PutEventsResultEntry => ({ EventId: crypto.randomUUID() });
const fail = (code = "InternalFailure", message = "try again"): PutEventsResultEntry => ({
  ErrorCode: code,
  ErrorMessage: message,
});

function commands(n: number): EventEnvelope[] {
  return Array.from({ length: n }, (_, i) =>
    sampleEvent("ProcessPaymentRequested", { orderId: `o-${i}` }),
  );
}

const fastOptions = { baseDelayMs: 1, maxDelayMs: 2 };

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("EventBridgeFastLane", () => {
  it("sends batches of at most 10 entries, each to the configured bus", async () => {
    const { client, calls } = stubClient((ids) => ids.map(ok));
    const batch = commands(25);
    const result = await new EventBridgeFastLane(client, "bus-1", fastOptions).send(batch);
    expect(calls.map((c) => c.eventIds.length).sort()).toEqual([10, 10, 5]);
    expect(new Set(calls.flatMap((c) => c.busNames))).toEqual(new Set(["bus-1"]));
    expect(new Set(calls.flatMap((c) => c.eventIds))).toEqual(new Set(batch.map((e) => e.eventId)));
    expect(new Set(result.delivered)).toEqual(new Set(batch.map((e) => e.eventId)));
    expect(result.failed).toEqual([]);
  });

  it("retries only the entries that failed, matched by position in the response", async () => {
    const batch = commands(6);
    const flaky = new Set([batch[1]?.eventId, batch[4]?.eventId]);
    const { client, calls } = stubClient((ids, call) =>
      ids.map((id) => (call === 1 && flaky.has(id) ? fail() : ok())),
    );
    const result = await new EventBridgeFastLane(client, "bus", fastOptions).send(batch);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.eventIds).toEqual(batch.map((e) => e.eventId));
    expect(calls[1]?.eventIds).toEqual([batch[1]?.eventId, batch[4]?.eventId]);
    expect([...result.delivered].sort()).toEqual(batch.map((e) => e.eventId).sort());
    expect(result.failed).toEqual([]);
  });

  it("keeps retrying the still-failing subset, shrinking each attempt", async () => {
    const batch = commands(5);
    // Entry i fails on the first i attempts.
    const index = new Map(batch.map((e, i) => [e.eventId, i]));
    const { client, calls } = stubClient((ids, call) =>
      ids.map((id) => ((index.get(id) ?? 0) >= call ? fail() : ok())),
    );
    const result = await new EventBridgeFastLane(client, "bus", {
      ...fastOptions,
      maxAttempts: 5,
    }).send(batch);
    expect(calls.map((c) => c.eventIds.length)).toEqual([5, 4, 3, 2, 1]);
    expect(result.delivered).toHaveLength(5);
    expect(result.failed).toEqual([]);
  });

  it("after maxAttempts reports the failures with the last error instead of throwing", async () => {
    const batch = commands(3);
    const stubborn = batch[2]?.eventId;
    const { client, calls } = stubClient((ids, call) =>
      ids.map((id) => (id === stubborn ? fail("ThrottlingException", `attempt ${call}`) : ok())),
    );
    const result = await new EventBridgeFastLane(client, "bus", {
      ...fastOptions,
      maxAttempts: 4,
    }).send(batch);
    expect(calls).toHaveLength(4);
    expect(calls.slice(1).every((c) => c.eventIds.length === 1 && c.eventIds[0] === stubborn)).toBe(
      true,
    );
    expect([...result.delivered].sort()).toEqual([batch[0]?.eventId, batch[1]?.eventId].sort());
    expect(result.failed).toEqual([
      { eventId: stubborn, errorCode: "ThrottlingException", errorMessage: "attempt 4" },
    ]);
  });

  it("a whole-call error retries the whole batch; if it persists every entry is reported", async () => {
    const batch = commands(3);
    const error = Object.assign(new Error("Event bus nope does not exist."), {
      name: "ResourceNotFoundException",
    });
    const { client, calls } = stubClient(() => error);
    const result = await new EventBridgeFastLane(client, "nope", {
      ...fastOptions,
      maxAttempts: 3,
    }).send(batch);
    expect(calls.map((c) => c.eventIds.length)).toEqual([3, 3, 3]);
    expect(result.delivered).toEqual([]);
    expect(result.failed.map((f) => f.eventId)).toEqual(batch.map((e) => e.eventId));
    expect(new Set(result.failed.map((f) => f.errorCode))).toEqual(
      new Set(["ResourceNotFoundException"]),
    );
  });

  it("a whole-call error followed by a partial answer ends with the right split", async () => {
    const batch = commands(4);
    const { client, calls } = stubClient((ids, call) => {
      if (call === 1) return new Error("socket hang up");
      return ids.map((id) => (id === batch[0]?.eventId ? fail("InternalFailure", "x") : ok()));
    });
    const result = await new EventBridgeFastLane(client, "bus", {
      ...fastOptions,
      maxAttempts: 2,
    }).send(batch);
    expect(calls.map((c) => c.eventIds.length)).toEqual([4, 4]);
    expect(result.delivered).toHaveLength(3);
    expect(result.failed).toEqual([
      { eventId: batch[0]?.eventId, errorCode: "InternalFailure", errorMessage: "x" },
    ]);
  });

  it("an entry the response does not account for is not counted as delivered", async () => {
    const batch = commands(3);
    const { client, calls } = stubClient((ids, call) =>
      call === 1 ? ids.slice(0, 1).map(ok) : ids.map(ok),
    );
    const result = await new EventBridgeFastLane(client, "bus", fastOptions).send(batch);
    expect(calls[1]?.eventIds).toEqual([batch[1]?.eventId, batch[2]?.eventId]);
    expect(result.delivered).toHaveLength(3);
  });

  it("an entry without EventId but without ErrorCode either is retried, not trusted", async () => {
    const batch = commands(2);
    const { client, calls } = stubClient((ids, call) =>
      ids.map((_, i) => (call === 1 && i === 0 ? {} : ok())),
    );
    const result = await new EventBridgeFastLane(client, "bus", fastOptions).send(batch);
    expect(calls[1]?.eventIds).toEqual([batch[0]?.eventId]);
    expect(result.delivered).toHaveLength(2);
  });

  it("waits a jittered exponential backoff before each retry, none before the first attempt", async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const batch = commands(1);
    const { client, calls } = stubClient(() => [fail()]);
    const sending = new EventBridgeFastLane(client, "bus", {
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 500,
    }).send(batch);
    await vi.runAllTimersAsync();
    const result = await sending;
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
    // Retry n waits random × min(500, 100 × 2^n) = 0.5 × {200, 400, 500, 500}.
    expect(gaps).toEqual([100, 200, 250, 250]);
    expect(result.failed).toHaveLength(1);
  });

  it("sends nothing for no commands", async () => {
    const { client, calls } = stubClient((ids) => ids.map(ok));
    expect(await new EventBridgeFastLane(client, "bus").send([])).toEqual({
      delivered: [],
      failed: [],
    });
    expect(calls).toHaveLength(0);
  });
});
