/**
 * PutEvents partial failure against the real emulator. moto and LocalStack reject an entry — and
 * only that entry — whose `Detail` is not JSON (`MalformedDetail`) while the call itself returns 200; a
 * middleware on the SDK client corrupts the Detail of chosen entries on chosen attempts, so the
 * per-entry failures are the emulator's own answers. EventBridgeFastLane must retry only the
 * failed entries, with backoff, and report (not throw) what still fails after its last attempt.
 * Deliveries are checked where they end up: the command queues behind the bus's rules.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { Message } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../events/envelope.ts";
import type { EventTypeName } from "../../events/types.ts";
import { EventBridgeFastLane } from "../../functions/kit/fast-lane.ts";
import { Publisher } from "../../functions/kit/publisher.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { LOCALSTACK, unlessLocalStack } from "../support/emulator.ts";
import { drainQueue, note, readTopic, since } from "../support/runtime-stack.ts";
import { sampleEvent } from "../support/samples.ts";

interface PutCall {
  readonly at: number;
  readonly eventIds: string[];
  readonly corrupted: string[];
  failedEntryCount?: number;
}

/**
 * An EventBridge client on the session's endpoint that corrupts the Detail of the entries
 * `corrupt(eventId, attempt)` picks (attempt counted per event id, from 1) and records each call.
 */
function corruptingClient(corrupt: (eventId: string, attempt: number) => boolean) {
  const calls: PutCall[] = [];
  const attempts = new Map<string, number>();
  const client = new EventBridgeClient({
    endpoint: session.endpoints.awsEndpoint,
    region: session.endpoints.region,
    credentials: session.endpoints.credentials,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Entries?: { Detail?: string }[] };
      const call: PutCall = { at: Date.now(), eventIds: [], corrupted: [] };
      input.Entries = (input.Entries ?? []).map((entry) => {
        const eventId = (JSON.parse(entry.Detail ?? "{}") as { eventId: string }).eventId;
        const attempt = (attempts.get(eventId) ?? 0) + 1;
        attempts.set(eventId, attempt);
        call.eventIds.push(eventId);
        if (!corrupt(eventId, attempt)) return entry;
        call.corrupted.push(eventId);
        return { ...entry, Detail: `{"eventId": "${eventId}", not json` };
      });
      calls.push(call);
      const result = await next(args);
      call.failedEntryCount = (result.output as { FailedEntryCount?: number }).FailedEntryCount;
      return result;
    },
    { step: "initialize", name: "corruptChosenEntries" },
  );
  return { client, calls };
}

let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({ host: false });
  note(`put-events: session ${session.name} provisioned in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const types: EventTypeName[] = [
  "PlaceOrderRequested",
  "ReserveInventoryRequested",
  "ProcessPaymentRequested",
  "ScheduleDeliveryRequested",
  "RegisterCustomerRequested",
  "CommitInventoryRequested",
];

/** One command of each of six types (so each lands in its own queue), for fresh aggregates. */
function someCommands(tag: string): EventEnvelope[] {
  return types.map((type, i) => {
    const id = `${tag}-${i}`;
    return sampleEvent(
      type,
      (type === "RegisterCustomerRequested" ? { customerId: id } : { orderId: id }) as never,
    );
  });
}

/** The command ids found in each command's queue (drained). */
async function deliveredIds(commands: readonly EventEnvelope[]): Promise<string[]> {
  const found: string[] = [];
  for (const type of new Set(commands.map((c) => c.eventType))) {
    const queue = session.resources.commandQueues[type];
    if (queue === undefined) throw new Error(`no queue for ${type}`);
    const messages: Message[] = await drainQueue(session, queue.url, 500);
    for (const m of messages) {
      found.push((JSON.parse(m.Body ?? "{}") as { detail: { eventId: string } }).detail.eventId);
    }
  }
  return found.sort();
}

describe("PutEvents partial failure (real emulator answers)", () => {
  it("the emulator really fails single entries of a 200 response", async () => {
    const commands = someCommands(`${session.name}-probe`);
    const victim = commands[2]?.eventId;
    const { client, calls } = corruptingClient((id) => id === victim);
    const lane = new EventBridgeFastLane(client, session.resources.eventBusName, {
      maxAttempts: 1,
    });
    const result = await lane.send(commands);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.failedEntryCount).toBe(1);
    expect(result.failed).toEqual([
      { eventId: victim, errorCode: "MalformedDetail", errorMessage: "Detail is malformed." },
    ]);
    expect(await deliveredIds(commands)).toEqual(
      commands
        .map((c) => c.eventId)
        .filter((id) => id !== victim)
        .sort(),
    );
  });

  it("retries only the failed entries, with backoff, until all are delivered — each exactly once", async () => {
    const commands = someCommands(`${session.name}-retry`);
    // Entry 1 fails on its first attempt, entry 4 on its first three.
    const failFor = new Map([
      [commands[1]?.eventId, 1],
      [commands[4]?.eventId, 3],
    ]);
    const { client, calls } = corruptingClient((id, attempt) => attempt <= (failFor.get(id) ?? 0));
    const options = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
    const lane = new EventBridgeFastLane(client, session.resources.eventBusName, options);
    // Deterministic jitter: every retry waits half of its ceiling.
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const t0 = Date.now();
    const result = await lane.send(commands);
    const ms = since(t0);
    vi.restoreAllMocks();

    expect(result.failed).toEqual([]);
    expect([...result.delivered].sort()).toEqual(commands.map((c) => c.eventId).sort());
    expect(calls.map((c) => c.eventIds)).toEqual([
      commands.map((c) => c.eventId),
      [commands[1]?.eventId, commands[4]?.eventId],
      [commands[4]?.eventId],
      [commands[4]?.eventId],
    ]);
    expect(calls.map((c) => c.failedEntryCount)).toEqual([2, 1, 1, 0]);
    // Retry n waits 0.5 × min(1000, 100 × 2^n): at least 100, 200, 400 ms (no upper bound: a
    // loaded machine fires timers late; the schedule itself is unit-tested in backoff.unit).
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
    [100, 200, 400].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected);
    });
    // Nothing went twice: each command is in its queue exactly once.
    expect(await deliveredIds(commands)).toEqual(commands.map((c) => c.eventId).sort());
    note(`put-events: 4 calls (6, 2, 1, 1 entries), gaps ${gaps.join("/")} ms, ${ms} ms in all`);
  });

  it("after the last attempt reports what still fails, with the emulator's error, instead of throwing", async () => {
    const commands = someCommands(`${session.name}-stubborn`);
    const stubborn = new Set([commands[0]?.eventId, commands[5]?.eventId]);
    const { client, calls } = corruptingClient((id) => stubborn.has(id));
    const lane = new EventBridgeFastLane(client, session.resources.eventBusName, {
      maxAttempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 50,
    });
    const result = await lane.send(commands);
    expect(calls.map((c) => c.eventIds.length)).toEqual([6, 2, 2]);
    expect(new Set(result.failed.map((f) => f.eventId))).toEqual(stubborn);
    for (const failure of result.failed) {
      expect(failure).toMatchObject({ errorCode: "MalformedDetail" });
    }
    expect([...result.delivered].sort()).toEqual(
      commands
        .map((c) => c.eventId)
        .filter((id) => !stubborn.has(id))
        .sort(),
    );
    expect(await deliveredIds(commands)).toEqual([...result.delivered].sort());
  });

  it("through the publisher: the command is on the log, the refusal is reported, nothing is thrown", async () => {
    const command = sampleEvent("ProcessPaymentRequested", { orderId: `${session.name}-pub` });
    const { client } = corruptingClient(() => true);
    const publisher = new Publisher({
      log: session.producer,
      fastLane: new EventBridgeFastLane(client, session.resources.eventBusName, {
        maxAttempts: 2,
        baseDelayMs: 10,
        maxDelayMs: 20,
      }),
    });
    const result = await publisher.publish([command]);
    expect(result.logged).toEqual([command.eventId]);
    expect(result.fastLane.delivered).toEqual([]);
    expect(result.fastLane.failed).toEqual([
      expect.objectContaining({ eventId: command.eventId, errorCode: "MalformedDetail" }),
    ]);
    const onLog = (await readTopic(session, "payment-commands")).filter(
      (r) => r.headers.ce_id?.toString() === command.eventId,
    );
    expect(onLog).toHaveLength(1);
    expect(await deliveredIds([command])).toEqual([]);
  });

  const missingBus = unlessLocalStack(LOCALSTACK.missingBus);
  it.skipIf(missingBus.skip)(
    `a bus that does not exist fails the whole call: every entry retried, then reported${missingBus.note}`,
    async () => {
      const commands = someCommands(`${session.name}-nobus`).slice(0, 3);
      const { client, calls } = corruptingClient(() => false);
      const lane = new EventBridgeFastLane(client, `${session.resources.prefix}-no-such-bus`, {
        maxAttempts: 3,
        baseDelayMs: 10,
        maxDelayMs: 50,
      });
      const result = await lane.send(commands);
      expect(calls.map((c) => c.eventIds.length)).toEqual([3, 3, 3]);
      expect(result.delivered).toEqual([]);
      expect(result.failed.map((f) => f.eventId).sort()).toEqual(
        commands.map((c) => c.eventId).sort(),
      );
      expect(result.failed[0]?.errorCode).toBe("ResourceNotFoundException");
    },
  );
});
