/**
 * The batched rebuild on the real stack (generated order flows on the broker, read models in
 * DynamoDB Local): it equals the event-by-event result (the live projector's path) for every
 * projection (2,000 events: a transaction per event is slow); on 10^4 events a rebuild killed for
 * real (SIGKILL of the `duplex` process) resumes from its checkpoint and equals an uninterrupted
 * one; trace and state find their events by key and time. The rebuild's
 * equality with the live projectors is in cli-drill (`projection rebuild --verify`) and the demo's
 * invariants.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromKafkaRecord } from "../../events/codecs/kafka.ts";
import type { Projection } from "../../functions/kit/projector.ts";
import { applyProjection } from "../../functions/kit/projector.ts";
import { compareVersions, rebuildProjection } from "../../functions/kit/rebuild.ts";
import { orderSummaryProjection } from "../../functions/order-summary-projector/projection.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { type HistoryWritten, writeHistory } from "../../localstack/demo/history.ts";
import { projections } from "../../localstack/demo/invariants.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { startDuplex } from "../support/duplex-cli.ts";
import { readTopic } from "../support/runtime-stack.ts";

const EVENTS = 10_000;
const BATCHED = 10;
const ONE_BY_ONE = 11;
const ON_WORKER = 12;

let session: LocalSession;
let history: HistoryWritten;

const note = (line: string) => process.stderr.write(`[rebuild] ${line}\n`);

function topicsOf(session: LocalSession, projection: Projection): string[] {
  const declaration = functionDeclarations.find((d) => d.name === `${projection.name}-projector`);
  if (declaration?.trigger.kind !== "log") throw new Error(`no projector for ${projection.name}`);
  return declaration.trigger.topics.map((t) => session.topic(t));
}

/** The live projector's path: one transaction per event, partitions side by side. */
async function rebuildOneByOne(
  session: LocalSession,
  projection: Projection,
  version: number,
): Promise<number> {
  let applied = 0;
  for (const topic of topicsOf(session, projection)) {
    const records = await readTopic(session, topic.slice(session.topicPrefix.length), 120_000);
    const byPartition = new Map<number, typeof records>();
    for (const r of records)
      byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
    await Promise.all(
      [...byPartition.values()].map(async (list) => {
        for (const record of list) {
          const changed = await applyProjection(
            session.readModels(),
            projection,
            fromKafkaRecord(record),
            [version],
          );
          applied += changed;
        }
      }),
    );
  }
  return applied;
}

const duplex = (...args: string[]) => startDuplex(session.name, ...args);

beforeAll(async () => {
  session = await LocalSession.start({ host: false });
  const started = Date.now();
  history = await writeHistory(session.producer, { events: EVENTS, seed: 12 });
  note(`${history.events} events (${history.flows} flows) written in ${Date.now() - started} ms`);
}, 300_000);

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

describe("rebuild at scale (10^4 events)", () => {
  it("the batched rebuild equals the event-by-event one for every projection", async () => {
    // The event-by-event path costs a transaction per event: a smaller log of its own.
    const small = await LocalSession.start({ host: false });
    try {
      await writeHistory(small.producer, { events: 2_000, seed: 5 });
      for (const projection of projections) {
        const started = Date.now();
        const batched = await rebuildProjection({
          log: small.log,
          admin: small.admin,
          store: small.readModels(),
          projection,
          topics: topicsOf(small, projection),
          version: BATCHED,
          // Small batches: items are carried from batch to batch through the cache and the store.
          flushEvents: 300,
        });
        const batchedMs = Date.now() - started;
        const applied = await rebuildOneByOne(small, projection, ONE_BY_ONE);
        note(
          `${projection.name}: ${batched.events} records, ${batched.flush} batches, ${batched.itemsWritten} items in ${batchedMs} ms; one by one: ${applied} transactions in ${Date.now() - started - batchedMs} ms`,
        );
        expect(batched.flush).toBeGreaterThan(1);
        expect(batched.applied).toBe(applied);
        expect(batched.applied).toBeGreaterThan(0);
        expect(
          await compareVersions(small.readModels(), projection.name, ONE_BY_ONE, BATCHED),
        ).toEqual([]);
        // Read and decoded on a worker thread, with a cache so small that items leave it and
        // are read back from the store: the same items again.
        const onWorker = await rebuildProjection({
          log: small.log,
          admin: small.admin,
          store: small.readModels(),
          projection,
          topics: topicsOf(small, projection),
          version: ON_WORKER,
          flushEvents: 300,
          cacheItems: 200,
          readOnWorker: true,
        });
        expect(onWorker.readOnWorker).toBe(true);
        expect(batched.readOnWorker).toBe(false);
        expect(onWorker.applied).toBe(applied);
        expect(
          await compareVersions(small.readModels(), projection.name, ONE_BY_ONE, ON_WORKER),
        ).toEqual([]);
      }
    } finally {
      await small.stop({ deleteTopics: true });
    }
  }, 900_000);

  it("a rebuild killed mid-way resumes from its checkpoint and ends equal", async () => {
    const store = session.readModels();
    const rebuild = duplex(
      "projection",
      "rebuild",
      "order-summary",
      "--no-switch",
      "--batch",
      "400",
    );
    // Kill it for real once a few batches are written.
    let killedAt: Record<string, unknown> | undefined;
    await session.waitFor(
      "two batches written",
      async () => {
        const item = await store.client.send(
          new GetCommand({
            TableName: store.tableName,
            Key: { pk: "projection#order-summary", sk: "rebuild#v2" },
            ConsistentRead: true,
          }),
        );
        const checkpoint = item.Item?.checkpoint as { flush: number } | undefined;
        if (checkpoint !== undefined && checkpoint.flush >= 2) {
          killedAt = item.Item?.figures as Record<string, unknown>;
          return true;
        }
        return false;
      },
      240_000,
      50,
    );
    rebuild.child.kill("SIGKILL");
    const killed = await rebuild.done;
    expect(killed.code).not.toBe(0);
    note(`killed at ${JSON.stringify(killedAt)}`);
    expect(Number(killedAt?.remaining)).toBeGreaterThan(0);

    // Resumed on a worker thread (the killed run read on its own thread): the same checkpoint.
    const resumed = await duplex(
      "projection",
      "rebuild",
      "order-summary",
      "--resume",
      "--no-switch",
      "--batch",
      "400",
      "--read-on",
      "worker",
    ).done;
    expect(resumed.stderr).not.toMatch(/error/i);
    expect(resumed.code).toBe(0);
    expect(resumed.json).toMatchObject({ version: 2, switched: false, phase: "building" });
    expect(Number(resumed.json.resumedAt)).toBeGreaterThan(0);
    expect(resumed.json.readOnWorker).toBe(true);
    expect(Number(resumed.json.remaining)).toBe(0);
    note(`resumed at ${resumed.json.resumedAt}: ${resumed.json.events} events in all`);
    // The same log rebuilt in one go, with other batch sizes and no crash.
    await rebuildProjection({
      log: session.log,
      admin: session.admin,
      store,
      projection: orderSummaryProjection,
      topics: topicsOf(session, orderSummaryProjection),
      version: BATCHED,
    });
    expect(await compareVersions(store, "order-summary", BATCHED, 2)).toEqual([]);
  }, 600_000);

  it("trace and state find a flow and an aggregate by key and time", async () => {
    const correlationId = history.sampleCorrelationIds[1];
    const orderId = history.sampleOrderIds[1];
    if (correlationId === undefined || orderId === undefined) throw new Error("no sample flow");
    const trace = await duplex("trace", correlationId, "--since", "2d").done;
    expect(trace.code).toBe(0);
    const events = trace.json.events as { eventType: string; correlationId: string }[];
    expect(events[0]?.eventType).toBe("PlaceOrderRequested");
    expect(events.every((e) => e.correlationId === correlationId)).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(4);
    const state = await duplex("state", "Order", orderId).done;
    expect(state.code).toBe(0);
    expect(["completed", "cancelled", "rejected"]).toContain(
      (state.json.state as { status: string }).status,
    );
  }, 120_000);
});
