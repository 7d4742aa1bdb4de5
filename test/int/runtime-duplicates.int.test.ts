/**
 * Duplicate delivery → one effect, with every function running in the local host:
 * - the same fast-lane message several times (three copies in one SQS batch, handled
 *   concurrently, and one more later) changes the aggregate once;
 * - the same fact several times on the log is applied once by the projectors (guarded by the
 *   aggregate sequence, or by the event id for events without one) and once by the saga;
 * - the same command published twice through both lanes is applied once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvent } from "../../events/create.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import {
  drainQueue,
  fastLaneBody,
  note,
  placeOrder,
  queueDepth,
  readEvents,
  seedCustomerAndProduct,
  sendBodies,
  since,
  waitForConsumers,
  waitForOrderStatus,
} from "../support/runtime-stack.ts";

let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({
    settings: { fastLaneDeadlineSeconds: 120, logLevel: "WARN" },
  });
  note(`duplicates: session ${session.name} up in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

const invocations = (fn: string) => session.host?.stats().functions[fn]?.invocations ?? 0;

describe("duplicate delivery → one effect", () => {
  it("the same SQS message four times (three in one batch) registers the customer once", async () => {
    const customerId = `c-${session.name}-dup`;
    const command = createEvent("RegisterCustomerRequested", {
      customerId,
      name: "Grace",
      email: "grace@example.com",
    });
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const before = invocations("customer-commands");
    const t0 = Date.now();
    const body = fastLaneBody(command);
    await sendBodies(session, queue.url, [body, body, body]);

    const store = session.store("aggregates");
    await session.waitFor(
      "the customer",
      async () => (await store.load(`Customer#${customerId}`, null)).exists,
    );
    await sendBodies(session, queue.url, [body]);
    // Copies that lost the race to the first come back after the visibility timeout; wait until
    // the queue is empty and every copy has been through the handler.
    await session.waitFor(
      "every copy handled",
      async () => (await queueDepth(session, queue.url)) === 0,
      60_000,
      250,
    );
    const settledMs = since(t0);

    const customer = await store.load(`Customer#${customerId}`, null);
    expect(customer.version).toBe(1);
    expect(customer.handled).toEqual([command.eventId]);
    await waitForConsumers(session, "customer-events");
    const facts = (await readEvents(session, "customer-events")).filter(
      (e) => e.aggregateId === customerId,
    );
    // A second application would have produced CustomerRegistrationRejected (DUPLICATE_CUSTOMER).
    expect(facts.map((f) => f.eventType)).toEqual(["CustomerRegistered"]);
    expect(await drainQueue(session, queue.dlq.url, 300)).toEqual([]);
    expect(await session.ledger().get(command.eventId)).toMatchObject({ status: "handled" });
    const delivered = invocations("customer-commands") - before;
    expect(delivered).toBeGreaterThanOrEqual(2);
    note(
      `duplicates: 4 copies over ${delivered} invocations settled in ${settledMs} ms, one effect`,
    );
  }, 90_000);

  it("the same fact several times on the log is projected once (sequence guard and id guard)", async () => {
    const productId = `p-${session.name}-dup`;
    const data = { productId, name: "Teapot", unitPriceCents: 2_500, quantity: 4 };
    const sequenced = createEvent("ProductRestocked", data, { sequence: 1 });
    const unsequenced = createEvent("ProductRestocked", { ...data, quantity: 5 });
    // Duplicates in one send, across sends, and interleaved.
    await session.publish([sequenced, sequenced]);
    await session.publish([unsequenced, sequenced, unsequenced]);
    // A sentinel behind them on the same partition: once it is applied, so are the duplicates.
    const sentinel = createEvent("ProductRestocked", { ...data, quantity: 100 }, { sequence: 2 });
    await session.publish([sentinel]);
    await waitForConsumers(session, "inventory-events");
    const levels = await session.readModels().get("inventory-levels", productId);
    expect(levels).toMatchObject({ restocked: 4 + 5 + 100, available: 4 + 5 + 100 });
  }, 90_000);

  it("the same OrderPlaced twice on the log: the saga issues its command once, projections count it once", async () => {
    const seed = await seedCustomerAndProduct(session);
    const orderId = `o-${session.name}-dup`;
    const command = placeOrder(seed, orderId);
    await session.publish([command]);
    await waitForOrderStatus(session, orderId, "COMPLETED", 90_000);
    await waitForConsumers(session, "order-events");
    const readModels = session.readModels();
    const totalsBefore = await readModels.get("sales-analytics", "totals");
    const customerBefore = await readModels.get("customer-orders", seed.customerId);
    expect(customerBefore?.ordersPlaced).toBe(1);

    const placed = (await readEvents(session, "order-events")).find(
      (e) => e.aggregateId === orderId && e.eventType === "OrderPlaced",
    );
    if (placed === undefined) throw new Error("no OrderPlaced on the log");
    const t0 = Date.now();
    await session.publish([placed, placed]);
    await waitForConsumers(session, "order-events");
    const settledMs = since(t0);

    const reserves = (await readEvents(session, "inventory-commands")).filter(
      (e) => e.eventType === "ReserveInventoryRequested" && e.aggregateId === orderId,
    );
    expect(reserves).toHaveLength(1);
    expect(await readModels.get("customer-orders", seed.customerId)).toEqual(customerBefore);
    expect(await readModels.get("sales-analytics", "totals")).toEqual(totalsBefore);
    expect((await readModels.get("order-summary", orderId))?.status).toBe("COMPLETED");
    const saga = await session.store("sagas").load(`OrderFulfilment#${orderId}`, null);
    expect(saga.outbox).toEqual([]);
    note(
      `duplicates: a replayed OrderPlaced ×2 settled by every consumer in ${settledMs} ms, no effect`,
    );
  }, 150_000);

  it("the same command published twice through both lanes is applied once", async () => {
    const seed = await seedCustomerAndProduct(session);
    const orderId = `o-${session.name}-twice`;
    const command = placeOrder(seed, orderId, { quantity: 1 });
    const before = invocations("order-commands");
    await session.publish([command]);
    await session.publish([command]);
    const queue = session.resources.commandQueues.PlaceOrderRequested;
    if (queue === undefined) throw new Error("no queue");
    await session.waitFor(
      "both deliveries handled",
      async () =>
        invocations("order-commands") - before >= 2 && (await queueDepth(session, queue.url)) === 0,
      60_000,
      250,
    );
    await waitForOrderStatus(session, orderId, "COMPLETED", 90_000);
    await waitForConsumers(session, "order-events");
    const order = await session.store("aggregates").load(`Order#${orderId}`, null);
    expect(order.version).toBe(2); // placed, completed
    const facts = (await readEvents(session, "order-events")).filter(
      (e) => e.aggregateId === orderId,
    );
    expect(facts.map((f) => f.eventType)).toEqual(["OrderPlaced", "OrderCompleted"]);
    const levels = await session.readModels().get("inventory-levels", seed.productId);
    expect(levels).toMatchObject({ shipped: 1, reserved: 0 });
  }, 150_000);
});
