/**
 * Fast lane down → the command is still handled, exactly once. The saga (and the sweepers, which
 * may publish its commands too) run with their event bus pointing at a bus that does not exist,
 * so every command the saga issues reaches the log but never the fast lane. The fast-lane ledger records each from the command topics with a short deadline; the
 * reconciler redelivers the overdue ones straight to their queues. The order must still complete,
 * the ledger must show the redeliveries, and every aggregate must have changed once per command.
 */
import { DescribeArchiveCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyEvent } from "../../events/types.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import {
  note,
  placeOrder,
  readEvents,
  seedCustomerAndProduct,
  since,
  waitForOrderStatus,
} from "../support/runtime-stack.ts";

const DEADLINE_SECONDS = 3;
let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  // Every function that puts commands on the bus gets one that does not exist.
  const down = { DUPLEX_EVENT_BUS_NAME: `duplex-no-such-bus-${Date.now()}` };
  session = await LocalSession.start({
    settings: { fastLaneDeadlineSeconds: DEADLINE_SECONDS, logLevel: "WARN" },
    functionEnv: { "order-saga": down, "outbox-sweeper": down, "saga-sweeper": down },
  });
  note(`reconciler: session ${session.name} up in ${since(started)} ms`);
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

describe("fast lane down → the reconciler delivers, one effect", () => {
  it("the order completes on redeliveries alone, each command applied once", async () => {
    const seed = await seedCustomerAndProduct(session, { stock: 10 });
    const orderId = `o-${session.name}-reconciled`;
    const command = placeOrder(seed, orderId, { quantity: 3 });
    const archivedBefore = await archivedCount();
    const t0 = Date.now();
    await session.publish([command]);
    await waitForOrderStatus(session, orderId, "COMPLETED", 150_000);
    const completedMs = since(t0);

    // Only the order command itself reached the bus; none of the saga's commands did.
    expect(await archivedCount()).toBe(archivedBefore + 1);

    const flow = async (topic: string) =>
      (await readEvents(session, topic)).filter((e) => e.correlationId === command.eventId);
    const sagaCommands: AnyEvent[] = [];
    for (const topic of [
      "inventory-commands",
      "payment-commands",
      "delivery-commands",
      "order-commands",
    ]) {
      sagaCommands.push(...(await flow(topic)).filter((e) => e.eventId !== command.eventId));
    }
    expect(sagaCommands.map((c) => c.eventType).sort()).toEqual(
      [
        "CommitInventoryRequested",
        "CompleteOrderRequested",
        "ProcessPaymentRequested",
        "ReserveInventoryRequested",
        "ScheduleDeliveryRequested",
      ].sort(),
    );
    // Each is in the log once (the saga's outbox published it once) …
    expect(new Set(sagaCommands.map((c) => c.eventId)).size).toBe(sagaCommands.length);

    // … and was handled only after the reconciler redelivered it.
    const ledger = session.ledger();
    const redeliveries: string[] = [];
    for (const sagaCommand of sagaCommands) {
      const entry = await ledger.get(sagaCommand.eventId);
      expect(entry, sagaCommand.eventType).toMatchObject({ status: "handled" });
      expect(entry?.redeliveries, sagaCommand.eventType).toBeGreaterThanOrEqual(1);
      redeliveries.push(`${sagaCommand.eventType}×${entry?.redeliveries}`);
    }
    // The order command went through the fast lane, so it was never redelivered.
    expect(await ledger.get(command.eventId)).toMatchObject({
      status: "handled",
      redeliveries: 0,
    });

    // One effect per command: one fact each, each aggregate at the version one change per
    // command gives, each command remembered once.
    const facts = [
      ...(await flow("order-events")),
      ...(await flow("inventory-events")),
      ...(await flow("payment-events")),
      ...(await flow("delivery-events")),
    ].map((e) => e.eventType);
    expect(facts.sort()).toEqual(
      [
        "DeliveryScheduled",
        "InventoryCommitted",
        "InventoryReserved",
        "OrderCompleted",
        "OrderPlaced",
        "PaymentInitiated",
        "PaymentProcessed",
      ].sort(),
    );
    const store = session.store("aggregates");
    const versions: Record<string, number> = {};
    for (const [key, commands] of [
      [`Order#${orderId}`, 2],
      [`Reservation#${orderId}`, 2],
      [`Payment#${orderId}`, 1],
      [`Delivery#${orderId}`, 1],
    ] as const) {
      const item = await store.load(key, null);
      versions[key] = item.version;
      expect(item.version, key).toBe(commands);
      expect(new Set(item.handled).size, key).toBe(item.handled.length);
      expect(item.outbox, key).toEqual([]);
    }
    const product = await store.load<{ available?: number }>(`Product#${seed.productId}`, {});
    const levels = await session.readModels().get("inventory-levels", seed.productId);
    expect(levels).toMatchObject({ available: 7, reserved: 0, shipped: 3, restocked: 10 });
    note(
      `reconciler: order completed in ${completedMs} ms with the saga's fast lane down; redeliveries ${redeliveries.join(", ")}; product state ${JSON.stringify(product.state)}`,
    );
  }, 180_000);
});
