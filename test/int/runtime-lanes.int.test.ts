/**
 * Both lanes end to end on the real local stack (Kafka + moto) with every function running in the
 * local host: a critical command is written to its command topic AND put on the EventBridge bus,
 * its handler runs from the fast-lane queue, and its facts land on the event topics; a
 * non-critical event goes to the log only.
 */
import { DescribeArchiveCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromKafkaRecord } from "../../events/codecs/kafka.ts";
import { createEvent } from "../../events/create.ts";
import type { AnyEvent } from "../../events/types.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import {
  note,
  placeOrder,
  readEvents,
  readTopic,
  seedCustomerAndProduct,
  since,
  waitForOrderStatus,
} from "../support/runtime-stack.ts";

const DEADLINE_SECONDS = 120;
let session: LocalSession;
let seed: { customerId: string; productId: string };

beforeAll(async () => {
  const started = Date.now();
  // A long fast-lane deadline: within this test the reconciler can never be the path.
  session = await LocalSession.start({
    settings: { fastLaneDeadlineSeconds: DEADLINE_SECONDS, logLevel: "WARN" },
  });
  seed = await seedCustomerAndProduct(session);
  note(`lanes: session ${session.name} up and seeded in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

async function archivedCount(): Promise<number> {
  const archive = await session.eventBridge.send(
    new DescribeArchiveCommand({ ArchiveName: session.resources.archiveName }),
  );
  return archive.EventCount ?? 0;
}

describe("both lanes, end to end", () => {
  it("a non-critical event goes to the log only, never to the bus", async () => {
    const before = await archivedCount();
    const fact = createEvent("ProductRestocked", {
      productId: `p-${session.name}-log-only`,
      name: "Mug",
      unitPriceCents: 500,
      quantity: 3,
    });
    const result = await session.publish([fact]);
    expect(result.logged).toEqual([fact.eventId]);
    expect(result.fastLane).toEqual({ delivered: [], failed: [] });

    const onLog = (await readEvents(session, "inventory-events")).filter(
      (e) => e.eventId === fact.eventId,
    );
    expect(onLog).toHaveLength(1);
    // The archive records every entry put on the session's bus (moto delivers synchronously).
    expect(await archivedCount()).toBe(before);
    // And the projector saw it through the log.
    await session.waitFor("the log-only fact projected", async () => {
      const view = await session.readModels().get("inventory-levels", fact.data.productId);
      return view?.restocked === 3;
    });
  });

  it("a critical command is on its command topic AND handled through the fast lane; its facts land on the event topics", async () => {
    const orderId = `o-${session.name}-lanes`;
    const command = placeOrder(seed, orderId);
    const archivedBefore = await archivedCount();
    const t0 = Date.now();
    const result = await session.publish([command]);
    const publishMs = since(t0);
    expect(result.logged).toEqual([command.eventId]);
    expect(result.fastLane.delivered).toEqual([command.eventId]);
    expect(result.fastLane.failed).toEqual([]);
    // On the bus: the archive took the entry as PutEvents returned.
    expect(await archivedCount()).toBeGreaterThanOrEqual(archivedBefore + 1);

    // Handled from its queue: the handler recorded it in the ledger and the reconciler never
    // redelivered it (its deadline is far beyond the wait below).
    const ledger = session.ledger();
    const handled = await session.waitFor(
      "the command handled",
      async () => {
        const entry = await ledger.get(command.eventId);
        return entry?.status === "handled" ? entry : undefined;
      },
      20_000,
      25,
    );
    const handledMs = since(t0);
    expect(handled.redeliveries).toBe(0);

    // Its first fact, caused by the command.
    const order = await session.store("aggregates").load(`Order#${orderId}`, null);
    expect(order.exists).toBe(true);
    expect(order.version).toBeGreaterThanOrEqual(1);
    expect(order.handled).toContain(command.eventId);

    await waitForOrderStatus(session, orderId, "COMPLETED");
    const completedMs = since(t0);

    // The command itself is on its command topic, once.
    const commandRecords = (await readTopic(session, "order-commands")).filter(
      (r) => r.headers.ce_id?.toString() === command.eventId,
    );
    expect(commandRecords).toHaveLength(1);

    // Every fact and command of the flow, by topic.
    const flow = async (topic: string) =>
      (await readEvents(session, topic)).filter((e) => e.correlationId === command.eventId);
    const byTopic: Record<string, AnyEvent[]> = {};
    for (const topic of [
      "order-events",
      "inventory-events",
      "payment-events",
      "delivery-events",
      "inventory-commands",
      "payment-commands",
      "delivery-commands",
      "order-commands",
    ]) {
      byTopic[topic] = await flow(topic);
    }
    const types = (topic: string) => (byTopic[topic] ?? []).map((e) => e.eventType);
    expect(types("order-events")).toEqual(["OrderPlaced", "OrderCompleted"]);
    expect(types("inventory-events")).toEqual(["InventoryReserved", "InventoryCommitted"]);
    expect(types("payment-events")).toEqual(["PaymentInitiated", "PaymentProcessed"]);
    expect(types("delivery-events")).toEqual(["DeliveryScheduled"]);
    const placed = byTopic["order-events"]?.[0];
    expect(placed?.causationId).toBe(command.eventId);
    expect(placed?.sequence).toBe(1);

    // The saga's commands went both ways too: each on its topic and each handled on the fast lane.
    const sagaCommands = [
      ...(byTopic["inventory-commands"] ?? []),
      ...(byTopic["payment-commands"] ?? []),
      ...(byTopic["delivery-commands"] ?? []),
      ...(byTopic["order-commands"] ?? []).filter((e) => e.eventId !== command.eventId),
    ];
    expect(sagaCommands.map((c) => c.eventType).sort()).toEqual(
      [
        "CommitInventoryRequested",
        "CompleteOrderRequested",
        "ProcessPaymentRequested",
        "ReserveInventoryRequested",
        "ScheduleDeliveryRequested",
      ].sort(),
    );
    for (const sagaCommand of sagaCommands) {
      const entry = await ledger.get(sagaCommand.eventId);
      expect(entry, sagaCommand.eventType).toMatchObject({ status: "handled", redeliveries: 0 });
    }
    note(
      `lanes: publish ${publishMs} ms, command handled via the fast lane ${handledMs} ms after publish, order completed after ${completedMs} ms`,
    );
  });

  it("the command's record on the log decodes to the very envelope that was published", async () => {
    const command = placeOrder(seed, `o-${session.name}-envelope`, { quantity: 1 });
    await session.publish([command]);
    const record = (await readTopic(session, "order-commands")).find(
      (r) => r.headers.ce_id?.toString() === command.eventId,
    );
    expect(record?.key?.toString()).toBe(command.aggregateId);
    expect(record && fromKafkaRecord(record)).toEqual(command);
  });
});
