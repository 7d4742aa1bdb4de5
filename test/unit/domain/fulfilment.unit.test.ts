import { describe, expect, it } from "vitest";
import { draft } from "../../../functions/domain/drafts.ts";
import type { SagaTimeouts } from "../../../functions/domain/order-saga.ts";
import { defaultSagaTimeouts } from "../../../functions/domain/order-saga.ts";
import { FulfilmentSystem } from "./in-memory-fulfilment.ts";

/**
 * End to end through every decider and the saga, in memory, with in-order delivery: the event
 * types an order produces, in order, for each path of the issue.
 */

const berlin = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const quick: SagaTimeouts = { ...defaultSagaTimeouts, holdSeconds: 600 };

function shop(stock = 5) {
  const system = new FulfilmentSystem({ timeouts: quick });
  system.submit(
    draft("RegisterCustomerRequested", {
      customerId: "c-1",
      name: "Ada",
      email: "ada@example.com",
    }),
  );
  system.submit(
    draft("RestockProductRequested", {
      productId: "p-1",
      name: "Kettle",
      unitPriceCents: 1250,
      quantity: stock,
    }),
  );
  system.run();
  return system;
}

function order(
  system: FulfilmentSystem,
  overrides: { token?: string; country?: string; quantity?: number } = {},
) {
  system.submit(
    draft("PlaceOrderRequested", {
      orderId: "o-1",
      customerId: "c-1",
      items: [{ productId: "p-1", quantity: overrides.quantity ?? 2 }],
      shippingAddress: { ...berlin, country: overrides.country ?? "DE" },
      paymentToken: overrides.token ?? "tok_visa",
      currency: "EUR",
    }),
  );
  system.run();
  return system.log
    .filter((e) => e.aggregateId === "o-1" || ("orderId" in e.data && e.data.orderId === "o-1"))
    .map((e) => e.eventType);
}

describe("fulfilment end to end (in memory)", () => {
  it("the happy path: reserved, paid, scheduled, committed, completed", () => {
    const system = shop();
    expect(order(system)).toEqual([
      "PlaceOrderRequested",
      "OrderPlaced",
      "ReserveInventoryRequested",
      "InventoryReserved",
      "ProcessPaymentRequested",
      "PaymentInitiated",
      "PaymentProcessed",
      "ScheduleDeliveryRequested",
      "DeliveryScheduled",
      "CommitInventoryRequested",
      "InventoryCommitted",
      "CompleteOrderRequested",
      "OrderCompleted",
    ]);
    expect(system.sagas.get("o-1")?.status).toBe("COMPLETED");
    expect(system.state("Product", "p-1")).toMatchObject({ available: 3, reserved: 0, shipped: 2 });
    expect(system.state("Payment", "o-1")).toMatchObject({ status: "captured", amountCents: 2500 });
    expect(system.state("Order", "o-1")).toMatchObject({
      status: "completed",
      deliveryId: "dlv-o-1",
    });
  });

  it("out of stock: cancelled without payment", () => {
    const system = shop(1);
    expect(order(system)).toEqual([
      "PlaceOrderRequested",
      "OrderPlaced",
      "ReserveInventoryRequested",
      "InventoryReservationFailed",
      "CancelOrderRequested",
      "OrderCancelled",
    ]);
    expect(system.state("Order", "o-1")).toMatchObject({
      status: "cancelled",
      code: "OUT_OF_STOCK",
    });
    expect(system.state("Product", "p-1")).toMatchObject({ available: 1, reserved: 0 });
  });

  it("payment declined: stock released, order cancelled", () => {
    const system = shop();
    expect(order(system, { token: "tok_declined" }).slice(4)).toEqual([
      "ProcessPaymentRequested",
      "PaymentInitiated",
      "PaymentFailed",
      "ReleaseInventoryRequested",
      "InventoryReleased",
      "CancelOrderRequested",
      "OrderCancelled",
    ]);
    expect(system.state("Product", "p-1")).toMatchObject({ available: 5, reserved: 0, shipped: 0 });
  });

  it("delivery impossible: refunded, released, cancelled", () => {
    const system = shop();
    expect(order(system, { country: "XX" }).slice(7)).toEqual([
      "ScheduleDeliveryRequested",
      "DeliverySchedulingFailed",
      "RefundPaymentRequested",
      "PaymentRefunded",
      "ReleaseInventoryRequested",
      "InventoryReleased",
      "CancelOrderRequested",
      "OrderCancelled",
    ]);
    expect(system.state("Payment", "o-1").status).toBe("refunded");
    expect(system.state("Product", "p-1")).toMatchObject({ available: 5, reserved: 0 });
  });

  it("a payment that never answers: the deadline releases the stock and cancels", () => {
    const system = shop();
    const types = order(system, { token: "tok_no_answer" });
    expect(types.slice(4)).toEqual([
      "ProcessPaymentRequested",
      "PaymentInitiated",
      "ReleaseInventoryRequested",
      "InventoryReleased",
      "CancelOrderRequested",
      "OrderCancelled",
    ]);
    expect(system.state("Order", "o-1")).toMatchObject({ code: "PAYMENT_TIMEOUT" });
    expect(system.now - Date.parse("2026-11-23T10:00:00.000Z")).toBe(quick.paymentMs);
  });

  it("bad input is a rejection event, not an error", () => {
    const system = shop();
    expect(order(system, { quantity: -1 })).toEqual(["PlaceOrderRequested", "OrderRejected"]);
    expect(system.sagas.size).toBe(0);
  });
});
