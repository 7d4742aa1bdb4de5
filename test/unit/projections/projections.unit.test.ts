import { describe, expect, it } from "vitest";
import { createEvent } from "../../../events/create.ts";
import type { AnyEvent } from "../../../events/types.ts";
import { customerOrdersProjection } from "../../../functions/customer-orders-projector/projection.ts";
import { inventoryLevelsProjection } from "../../../functions/inventory-levels-projector/projection.ts";
import type { ViewUpdate } from "../../../functions/kit/read-models.ts";
import { orderSummaryProjection } from "../../../functions/order-summary-projector/projection.ts";
import {
  minuteOf,
  salesAnalyticsProjection,
  TOTALS,
} from "../../../functions/sales-analytics-projector/projection.ts";
import { sampleData } from "../../support/samples.ts";

/** Applies updates to an in-memory view store the way DynamoDB would (SET, if_not_exists, ADD, list_append). */
function applyAll(events: readonly AnyEvent[], project: (e: AnyEvent) => readonly ViewUpdate[]) {
  const views = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    for (const u of project(event)) {
      const key = `${u.entity}/${u.sk ?? "view"}`;
      const item = views.get(key) ?? {};
      Object.assign(item, u.set ?? {});
      for (const [k, v] of Object.entries(u.setIfAbsent ?? {})) if (!(k in item)) item[k] = v;
      for (const [k, v] of Object.entries(u.add ?? {})) item[k] = Number(item[k] ?? 0) + v;
      for (const [k, v] of Object.entries(u.append ?? {}))
        item[k] = [...((item[k] as unknown[]) ?? []), ...v];
      views.set(key, item);
    }
  }
  return views;
}

const placed = createEvent("OrderPlaced", sampleData.OrderPlaced);
const reserved = createEvent("InventoryReserved", sampleData.InventoryReserved);
const committed = createEvent("InventoryCommitted", sampleData.InventoryCommitted);
const released = createEvent("InventoryReleased", sampleData.InventoryReleased);
const completed = createEvent("OrderCompleted", sampleData.OrderCompleted);
const cancelled = createEvent("OrderCancelled", sampleData.OrderCancelled);
const restocked = (productId: string, quantity: number) =>
  createEvent("ProductRestocked", { ...sampleData.ProductRestocked, productId, quantity });

describe("order summary", () => {
  it("Given an order placed, reserved, paid and completed, the summary says so with a timeline", () => {
    const events = [
      placed,
      reserved,
      createEvent("PaymentProcessed", sampleData.PaymentProcessed),
      committed,
      completed,
    ];
    const views = applyAll(events, (e) => orderSummaryProjection.project(e));
    expect(views.get("o-1/view")).toMatchObject({
      status: "COMPLETED",
      totalCents: 3499,
      inventory: "SHIPPED",
      payment: "CAPTURED",
    });
    expect([...views.keys()].filter((k) => k.startsWith("o-1/t#"))).toHaveLength(5);
  });

  it("a duplicate-order rejection does not change the existing order's status", () => {
    const duplicate = createEvent("OrderRejected", {
      ...sampleData.OrderRejected,
      code: "DUPLICATE_ORDER",
    });
    const views = applyAll([placed, duplicate], (e) => orderSummaryProjection.project(e));
    expect(views.get("o-1/view")?.status).toBe("PLACED");
  });

  it("does not depend on how facts of different aggregates interleave", () => {
    const a = applyAll([placed, reserved, committed, completed], (e) =>
      orderSummaryProjection.project(e),
    );
    const b = applyAll([reserved, placed, completed, committed], (e) =>
      orderSummaryProjection.project(e),
    );
    expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
  });
});

describe("inventory levels", () => {
  it("moves units between available, reserved and shipped; the total stays the restocked amount", () => {
    const events = [restocked("p-1", 10), restocked("p-2", 5), reserved, committed];
    const views = applyAll(events, (e) => inventoryLevelsProjection.project(e));
    expect(views.get("p-1/view")).toMatchObject({ available: 8, reserved: 0, shipped: 2 });
    expect(views.get("p-2/view")).toMatchObject({ available: 4, reserved: 0, shipped: 1 });
  });

  it("a release gives held units back", () => {
    const views = applyAll([restocked("p-1", 10), reserved, released], (e) =>
      inventoryLevelsProjection.project(e),
    );
    expect(views.get("p-1/view")).toMatchObject({ available: 10, reserved: 0, shipped: 0 });
  });
});

describe("customer orders", () => {
  it("keeps counters and one sub-item per order", () => {
    const views = applyAll(
      [createEvent("CustomerRegistered", sampleData.CustomerRegistered), placed, cancelled],
      (e) => customerOrdersProjection.project(e),
    );
    expect(views.get("c-1/view")).toMatchObject({
      name: "Ada",
      ordersPlaced: 1,
      ordersCancelled: 1,
    });
    expect(views.get("c-1/order#o-1")).toMatchObject({
      status: "CANCELLED",
      code: "PAYMENT_FAILED",
    });
  });
});

describe("sales analytics", () => {
  it("counts orders and revenue per minute window and in total", () => {
    const views = applyAll([placed, completed], (e) => salesAnalyticsProjection.project(e));
    expect(views.get(`${TOTALS}/view`)).toMatchObject({
      ordersPlaced: 1,
      ordersCompleted: 1,
      revenueCents_EUR: 3499,
    });
    expect(views.get(`minute#${minuteOf(completed.occurredAt)}/view`)).toMatchObject({
      revenueCents_EUR: 3499,
    });
  });

  it("cuts windows by the minute", () => {
    expect(minuteOf("2026-11-23T10:07:59.999Z")).toBe("2026-11-23T10:07");
  });
});
