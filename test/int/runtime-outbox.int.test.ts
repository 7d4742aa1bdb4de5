/**
 * The outbox sweeper after a crash between commit and publish. `runDecision` runs in-process
 * against the session's tables and topics, and its `afterCommit` hook throws: the state change and
 * its events are committed, nothing is published. The outbox sweeper (the real function, in the
 * local host, with a short grace period) must then publish exactly the committed events, in order,
 * once — facts to the log, commands to the log and the fast lane — and a decision whose commit
 * lost must publish nothing. A log that refuses after the commit is the same case without a
 * crash: the run returns (the message counts as handled) and the sweeper publishes.
 */
import { randomUUID } from "node:crypto";
import { DescribeArchiveCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../events/envelope.ts";
import { type Draft, runDecision } from "../../functions/kit/command-runner.ts";
import { VersionConflictError } from "../../functions/kit/errors.ts";
import { LogPublishError, PublishRefusedError } from "../../functions/kit/log/errors.ts";
import { Publisher } from "../../functions/kit/publisher.ts";
import type { Stored } from "../../functions/kit/versioned-store.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { drainQueue, note, readEvents, since } from "../support/runtime-stack.ts";
import { sampleData } from "../support/samples.ts";

const GRACE_SECONDS = 3;
let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({
    functions: ["outbox-sweeper"],
    settings: { outboxGraceSeconds: GRACE_SECONDS, logLevel: "WARN" },
  });
  note(`outbox: session ${session.name} up in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

class CrashAfterCommit extends Error {
  constructor() {
    super("simulated crash between commit and publish");
    this.name = "CrashAfterCommit";
  }
}

/** Runs a decision on one item whose `afterCommit` crashes; returns the committed outbox. */
async function crashAfterCommit(
  table: "aggregates" | "sagas",
  key: string,
  planned: { facts?: Draft[]; commands?: Draft[]; state: unknown },
): Promise<{ committedAt: number; outbox: readonly EventEnvelope[] }> {
  const store = session.store(table);
  let committedAt = 0;
  await expect(
    runDecision({
      store,
      publisher: session.publisher,
      cause: { eventId: randomUUID(), correlationId: randomUUID() },
      decide: async () => {
        const stored = await store.load<unknown>(key, null);
        return {
          primary: stored,
          touched: [stored],
          changes: [{ stored, ...planned }],
        };
      },
      afterCommit: async () => {
        committedAt = Date.now();
        throw new CrashAfterCommit();
      },
    }),
  ).rejects.toBeInstanceOf(CrashAfterCommit);
  const item = await store.load(key, null);
  expect(item.version).toBe(1);
  expect(item.state).toEqual(planned.state);
  return { committedAt, outbox: item.outbox };
}

const physicalEnd = async (catalogTopic: string) =>
  (await session.admin.topicOffsets(session.topic(catalogTopic))).reduce(
    (n, p) => n + (BigInt(p.high) - BigInt(p.low)),
    0n,
  );

describe("outbox sweeper after a crash between commit and publish", () => {
  it("publishes exactly the committed facts, in order, once", async () => {
    const productId = `p-${session.name}-outbox`;
    const restock = (quantity: number): Draft => ({
      eventType: "ProductRestocked",
      data: { ...sampleData.ProductRestocked, productId, quantity },
    });
    const { committedAt, outbox } = await crashAfterCommit("aggregates", `Product#${productId}`, {
      facts: [restock(1), restock(2), restock(3)],
      state: { exists: true, available: 6 },
    });
    expect(outbox.map((e) => e.sequence)).toEqual([1, 2, 3]);
    // Nothing was published by the crashed run.
    expect(await physicalEnd("inventory-events")).toBe(0n);

    const store = session.store("aggregates");
    await session.waitFor(
      "the sweeper to empty the outbox",
      async () => (await store.load(`Product#${productId}`, null)).outbox.length === 0,
      30_000,
      100,
    );
    const sweptMs = since(committedAt);
    expect(sweptMs).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);

    // A few more sweeps: nothing is published again.
    await new Promise((r) => setTimeout(r, 5_000));
    const onLog = (await readEvents(session, "inventory-events")).filter(
      (e) => e.aggregateId === productId,
    );
    expect(onLog).toEqual(outbox);
    expect(onLog.map((e) => (e.data as { quantity: number }).quantity)).toEqual([1, 2, 3]);
    const item = await store.load(`Product#${productId}`, null);
    expect(item.attributes.outboxShard).toBeUndefined();
    expect(item.attributes.outboxPendingSince).toBeUndefined();
    note(
      `outbox: 3 committed facts swept ${sweptMs} ms after the commit (grace ${GRACE_SECONDS} s), once, in order`,
    );
  }, 60_000);

  it("publishes a committed command on both lanes, once", async () => {
    const orderId = `o-${session.name}-outbox`;
    const archive = async () =>
      (
        await session.eventBridge.send(
          new DescribeArchiveCommand({ ArchiveName: session.resources.archiveName }),
        )
      ).EventCount ?? 0;
    const archivedBefore = await archive();
    const { outbox } = await crashAfterCommit("sagas", `OrderFulfilment#${orderId}`, {
      commands: [
        {
          eventType: "ReserveInventoryRequested",
          data: { ...sampleData.ReserveInventoryRequested, orderId },
        },
      ],
      state: { orderId, status: "RESERVING" },
    });
    expect(outbox.map((e) => e.eventType)).toEqual(["ReserveInventoryRequested"]);
    const store = session.store("sagas");
    await session.waitFor(
      "the sweeper to empty the saga's outbox",
      async () => (await store.load(`OrderFulfilment#${orderId}`, null)).outbox.length === 0,
      30_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 4_000));
    const onLog = (await readEvents(session, "inventory-commands")).filter(
      (e) => e.aggregateId === orderId,
    );
    expect(onLog).toEqual(outbox);
    expect(await archive()).toBe(archivedBefore + 1);
    const queue = session.resources.commandQueues.ReserveInventoryRequested;
    if (queue === undefined) throw new Error("no queue");
    const delivered = await drainQueue(session, queue.url, 500);
    expect(
      delivered.map(
        (m) => (JSON.parse(m.Body ?? "{}") as { detail: { eventId: string } }).detail.eventId,
      ),
    ).toEqual([outbox[0]?.eventId]);
  }, 60_000);

  it("a decision whose commit lost publishes nothing, now or later", async () => {
    const productId = `p-${session.name}-lost`;
    const key = `Product#${productId}`;
    const store = session.store("aggregates");
    // Someone else commits first …
    await crashAfterCommit("aggregates", key, {
      facts: [
        {
          eventType: "ProductRestocked",
          data: { ...sampleData.ProductRestocked, productId, quantity: 7 },
        },
      ],
      state: { exists: true, available: 7 },
    });
    // … so a decision taken on the state before that commit can never commit.
    const stale: Stored<unknown> = {
      key,
      exists: false,
      state: null,
      version: 0,
      sequence: 0,
      outbox: [],
      handled: [],
      attributes: {},
    };
    await expect(
      runDecision({
        store,
        publisher: session.publisher,
        cause: { eventId: randomUUID(), correlationId: randomUUID() },
        maxAttempts: 2,
        decide: async () => ({
          primary: stale,
          touched: [stale],
          changes: [
            {
              stored: stale,
              state: { exists: true, available: 99 },
              facts: [
                {
                  eventType: "ProductRestocked",
                  data: { ...sampleData.ProductRestocked, productId, quantity: 99 },
                },
              ],
            },
          ],
        }),
      }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await session.waitFor(
      "the sweeper to publish the winner's fact",
      async () => (await store.load(key, null)).outbox.length === 0,
      30_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const onLog = (await readEvents(session, "inventory-events")).filter(
      (e) => e.aggregateId === productId,
    );
    expect(onLog.map((e) => (e.data as { quantity: number }).quantity)).toEqual([7]);
    expect((await store.load(key, null)).state).toEqual({ exists: true, available: 7 });
  }, 60_000);

  it("a log refusal after the commit leaves the events to the sweeper instead of failing the message", async () => {
    const productId = `p-${session.name}-refused`;
    const key = `Product#${productId}`;
    const store = session.store("aggregates");
    // The real publisher in front of a log that refuses every send (a broker outage).
    const refusing = new Publisher({
      log: {
        send: async () => {
          throw new LogPublishError([session.topic("inventory-events")], {
            cause: new Error("Cannot connect to any broker"),
          });
        },
        close: async () => undefined,
      },
      fastLane: {
        send: async () => {
          throw new Error("the fast lane must not be reached when the log refused");
        },
      },
      retry: { budgetMs: 200, baseDelayMs: 10, maxDelayMs: 50 },
    });
    const result = await runDecision({
      store,
      publisher: refusing,
      cause: { eventId: randomUUID(), correlationId: randomUUID() },
      decide: async () => {
        const stored = await store.load<unknown>(key, null);
        return {
          primary: stored,
          touched: [stored],
          changes: [
            {
              stored,
              state: { exists: true, available: 5 },
              facts: [
                {
                  eventType: "ProductRestocked",
                  data: { ...sampleData.ProductRestocked, productId, quantity: 5 },
                },
              ],
            },
          ],
        };
      },
    });
    expect(result.published).toEqual([]);
    expect(result.publishDeferred).toBeInstanceOf(PublishRefusedError);
    const committed = await store.load(key, null);
    expect(committed.version).toBe(1);
    expect(committed.outbox.map((e) => e.eventType)).toEqual(["ProductRestocked"]);

    await session.waitFor(
      "the sweeper to publish what the refused run committed",
      async () => (await store.load(key, null)).outbox.length === 0,
      30_000,
      100,
    );
    const onLog = (await readEvents(session, "inventory-events")).filter(
      (e) => e.aggregateId === productId,
    );
    expect(onLog).toEqual(committed.outbox);
  }, 60_000);
});
