import { describe, expect, it } from "vitest";
import {
  aggregates,
  foldAggregate,
  isAggregateType,
} from "../../../functions/domain/aggregates.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import { toEvent } from "./decider-spec.ts";
import { placed, processed, refunded, reserved } from "./saga-spec.ts";

const log = [
  draft("RegisterCustomerRequested", { customerId: "c-1", name: "Ada", email: "ada@example.com" }),
  draft("CustomerRegistered", { customerId: "c-1", name: "Ada", email: "ada@example.com" }),
  draft("ProductRestocked", {
    productId: "p-1",
    name: "Kettle",
    unitPriceCents: 1250,
    quantity: 5,
  }),
  draft("ProductRestocked", { productId: "p-2", name: "Mug", unitPriceCents: 999, quantity: 5 }),
  placed,
  reserved,
  draft("PaymentInitiated", { orderId: "o-1", amountCents: 3499, currency: "EUR" }),
  processed,
  refunded,
].map((d) => toEvent(d));

describe("aggregate registry", () => {
  it("names the aggregates the catalog's events belong to", () => {
    expect(Object.keys(aggregates).sort()).toEqual([
      "Customer",
      "Delivery",
      "Order",
      "Payment",
      "Product",
      "Reservation",
    ]);
    expect(isAggregateType("Order")).toBe(true);
    expect(isAggregateType("toString")).toBe(false);
  });

  it("a reservation fact touches its reservation and every product it lists", () => {
    const event = toEvent(reserved);
    expect(aggregates.Reservation.idsTouchedBy(event)).toEqual(["o-1"]);
    expect(aggregates.Product.idsTouchedBy(event)).toEqual(["p-1", "p-2"]);
    expect(aggregates.Order.idsTouchedBy(event)).toEqual([]);
  });

  it("folds each aggregate from a mixed log, skipping commands and other aggregates", () => {
    expect(foldAggregate("Customer", "c-1", log)).toEqual({
      status: "registered",
      name: "Ada",
      email: "ada@example.com",
    });
    expect(foldAggregate("Order", "o-1", log)).toMatchObject({
      status: "placed",
      totalCents: 3499,
    });
    expect(foldAggregate("Product", "p-1", log)).toMatchObject({ available: 3, reserved: 2 });
    expect(foldAggregate("Product", "p-2", log)).toMatchObject({ available: 4, reserved: 1 });
    expect(foldAggregate("Reservation", "o-1", log)).toMatchObject({ status: "held" });
    expect(foldAggregate("Payment", "o-1", log)).toMatchObject({ status: "refunded" });
    expect(foldAggregate("Delivery", "o-1", log)).toEqual({ status: "none" });
    expect(foldAggregate("Order", "o-2", log)).toEqual({ status: "none" });
  });

  it("folds as of a point: a prefix of the log", () => {
    expect(foldAggregate("Payment", "o-1", log.slice(0, 8))).toMatchObject({ status: "captured" });
    expect(foldAggregate("Product", "p-1", log.slice(0, 5))).toMatchObject({ available: 5 });
  });

  it("states are plain JSON", () => {
    for (const type of Object.keys(aggregates)) {
      if (!isAggregateType(type)) continue;
      for (const id of ["c-1", "o-1", "p-1"]) {
        const state = foldAggregate(type, id, log);
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      }
    }
  });
});
