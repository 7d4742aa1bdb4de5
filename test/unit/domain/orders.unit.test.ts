import { describe, expect, it } from "vitest";
import { foldAggregate } from "../../../functions/domain/aggregates.ts";
import type { EventDraft } from "../../../functions/domain/drafts.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import * as orders from "../../../functions/domain/orders.ts";
import { deciderSpec, input, NOW, toEvent } from "./decider-spec.ts";

const spec = deciderSpec({
  stateFor: (history, command) => foldAggregate("Order", command.data.orderId, history),
  decide: orders.decide,
});

const address = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const catalogue: orders.PlaceOrderContext = {
  customerExists: true,
  products: {
    "p-1": { name: "Kettle", unitPriceCents: 1250 },
    "p-2": { name: "Mug", unitPriceCents: 999 },
  },
};

const place = (items: { productId: string; quantity: number }[], currency = "EUR") =>
  draft("PlaceOrderRequested", {
    orderId: "o-1",
    customerId: "c-1",
    items,
    shippingAddress: address,
    paymentToken: "tok_visa",
    currency,
  });

const placed = draft("OrderPlaced", {
  orderId: "o-1",
  customerId: "c-1",
  items: [
    { productId: "p-1", quantity: 2, unitPriceCents: 1250 },
    { productId: "p-2", quantity: 1, unitPriceCents: 999 },
  ],
  totalCents: 3499,
  currency: "EUR",
  shippingAddress: address,
  paymentToken: "tok_visa",
});

const rejected = (code: orders.OrderRejectionCode, reason: string) =>
  draft("OrderRejected", { orderId: "o-1", customerId: "c-1", code, reason });

const cancel = draft("CancelOrderRequested", {
  orderId: "o-1",
  code: "CUSTOMER_REQUEST",
  reason: "changed my mind",
});
const complete = draft("CompleteOrderRequested", { orderId: "o-1", deliveryId: "dlv-o-1" });
const cancelled = draft("OrderCancelled", {
  orderId: "o-1",
  customerId: "c-1",
  code: "CUSTOMER_REQUEST",
  reason: "changed my mind",
});
const completed = draft("OrderCompleted", {
  orderId: "o-1",
  customerId: "c-1",
  totalCents: 3499,
  currency: "EUR",
  deliveryId: "dlv-o-1",
});
const commandRejected = (
  command: "CancelOrderRequested" | "CompleteOrderRequested",
  code: "UNKNOWN_ORDER" | "ALREADY_COMPLETED" | "ALREADY_CANCELLED",
) =>
  draft("OrderCommandRejected", {
    orderId: "o-1",
    command,
    code,
    reason: expect.stringContaining("order o-1") as unknown as string,
  });

describe("orders: PlaceOrderRequested", () => {
  it("places an order priced from the catalogue, total in cents", () => {
    spec
      .given([])
      .when(
        place([
          { productId: "p-1", quantity: 2 },
          { productId: "p-2", quantity: 1 },
        ]),
        catalogue,
      )
      .then([placed]);
  });

  it("merges lines for the same product and keeps the command's currency", () => {
    spec
      .given([])
      .when(
        place(
          [
            { productId: "p-1", quantity: 1 },
            { productId: "p-2", quantity: 1 },
            { productId: "p-1", quantity: 1 },
          ],
          "USD",
        ),
        catalogue,
      )
      .then([{ ...placed, data: { ...placed.data, currency: "USD" } }]);
  });

  it("defaults the currency to EUR when the command leaves it out", () => {
    const { currency: _, ...withoutCurrency } = place([{ productId: "p-2", quantity: 3 }]).data;
    spec
      .given([])
      .when(input("PlaceOrderRequested", withoutCurrency), catalogue)
      .then([
        draft("OrderPlaced", {
          ...placed.data,
          items: [{ productId: "p-2", quantity: 3, unitPriceCents: 999 }],
          totalCents: 2997,
          currency: "EUR",
        }),
      ]);
  });

  it("rejects a duplicate order id, whatever the first order became", () => {
    const again = place([{ productId: "p-1", quantity: 1 }]);
    const reason = (status: string) => `order o-1 already exists (${status})`;
    spec
      .given([placed])
      .when(again, catalogue)
      .then([rejected("DUPLICATE_ORDER", reason("placed"))]);
    spec
      .given([placed, cancelled])
      .when(again, catalogue)
      .then([rejected("DUPLICATE_ORDER", reason("cancelled"))]);
    spec
      .given([placed, completed])
      .when(again, catalogue)
      .then([rejected("DUPLICATE_ORDER", reason("completed"))]);
    spec
      .given([rejected("EMPTY_ORDER", "no items")])
      .when(again, catalogue)
      .then([rejected("DUPLICATE_ORDER", reason("rejected"))]);
  });

  it("checks duplicates before the customer", () => {
    spec
      .given([placed])
      .when(place([]), { customerExists: false, products: {} })
      .then([rejected("DUPLICATE_ORDER", "order o-1 already exists (placed)")]);
  });

  it("rejects an order of an unknown customer, naming it", () => {
    spec
      .given([])
      .when(place([{ productId: "p-9", quantity: 0 }]), { ...catalogue, customerExists: false })
      .then([rejected("UNKNOWN_CUSTOMER", "customer c-1 is not registered")]);
  });

  it("rejects an order without items", () => {
    spec
      .given([])
      .when(place([]), catalogue)
      .then([rejected("EMPTY_ORDER", "order o-1 has no items")]);
  });

  it("rejects zero and negative quantities before looking up products", () => {
    spec
      .given([])
      .when(
        place([
          { productId: "p-1", quantity: 0 },
          { productId: "p-2", quantity: 1 },
          { productId: "p-9", quantity: -2 },
        ]),
        catalogue,
      )
      .then([rejected("INVALID_QUANTITY", "quantities must be positive: p-1 (0), p-9 (-2)")]);
  });

  it("rejects unknown products, naming each once", () => {
    spec
      .given([])
      .when(
        place([
          { productId: "p-9", quantity: 1 },
          { productId: "p-1", quantity: 1 },
          { productId: "p-8", quantity: 1 },
          { productId: "p-9", quantity: 1 },
        ]),
        catalogue,
      )
      .then([rejected("UNKNOWN_PRODUCT", "unknown products: p-9, p-8")]);
  });

  it("does not take Object's own members for products", () => {
    spec
      .given([])
      .when(place([{ productId: "constructor", quantity: 1 }]), catalogue)
      .then([rejected("UNKNOWN_PRODUCT", "unknown products: constructor")]);
  });

  it("keeps a long list of unknown products within the reason's limit", () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      productId: `unknown-product-${i}`,
      quantity: 1,
    }));
    const [event] = orders.decide(orders.initialState, toEvent(place(items)), catalogue, NOW);
    expect(event?.eventType).toBe("OrderRejected");
    expect(() => event && toEvent(event)).not.toThrow();
  });

  it("throws a programming error when the handler passes no context", () => {
    spec
      .given([])
      .when(place([{ productId: "p-1", quantity: 1 }]), undefined)
      .thenThrows(/PlaceOrderRequested for o-1: the handler must pass a PlaceOrderContext/);
  });

  it("a duplicate rejection does not change the existing order", () => {
    const history = [placed, rejected("DUPLICATE_ORDER", "again")].map((d) => toEvent(d));
    expect(foldAggregate("Order", "o-1", history)).toMatchObject({
      status: "placed",
      totalCents: 3499,
    });
  });

  it("lists what the handler must load", () => {
    const command = toEvent(
      place([
        { productId: "p-2", quantity: 1 },
        { productId: "p-1", quantity: 1 },
        { productId: "p-2", quantity: 1 },
      ]),
    );
    expect(orders.placeOrderLookups(command.data)).toEqual({
      customerId: "c-1",
      productIds: ["p-2", "p-1"],
    });
  });
});

describe("orders: CancelOrderRequested", () => {
  it("cancels a placed order with the command's code and reason", () => {
    spec.given([placed]).when(cancel, undefined).then([cancelled]);
  });

  it.each<[string, EventDraft[], "UNKNOWN_ORDER" | "ALREADY_COMPLETED" | "ALREADY_CANCELLED"]>([
    ["an unknown order", [], "UNKNOWN_ORDER"],
    ["a rejected order", [rejected("EMPTY_ORDER", "no items")], "UNKNOWN_ORDER"],
    ["a completed order", [placed, completed], "ALREADY_COMPLETED"],
    ["a cancelled order", [placed, cancelled], "ALREADY_CANCELLED"],
  ])("refuses to cancel %s", (_, history, code) => {
    spec
      .given(history)
      .when(cancel, undefined)
      .then([commandRejected("CancelOrderRequested", code)]);
  });
});

describe("orders: CompleteOrderRequested", () => {
  it("completes a placed order with its total and the delivery", () => {
    spec.given([placed]).when(complete, undefined).then([completed]);
  });

  it("completing twice yields nothing the second time", () => {
    spec.given([placed, completed]).when(complete, undefined).thenNothing();
  });

  it.each<[string, EventDraft[], "UNKNOWN_ORDER" | "ALREADY_CANCELLED"]>([
    ["an unknown order", [], "UNKNOWN_ORDER"],
    ["a rejected order", [rejected("UNKNOWN_PRODUCT", "p-9")], "UNKNOWN_ORDER"],
    ["a cancelled order", [placed, cancelled], "ALREADY_CANCELLED"],
  ])("refuses to complete %s", (_, history, code) => {
    spec
      .given(history)
      .when(complete, undefined)
      .then([commandRejected("CompleteOrderRequested", code)]);
  });
});

describe("orders: evolve", () => {
  it("keeps the order's details through its life", () => {
    const history = [placed, completed].map((d) => toEvent(d));
    expect(foldAggregate("Order", "o-1", history)).toEqual({
      status: "completed",
      customerId: "c-1",
      items: placed.data.items,
      totalCents: 3499,
      currency: "EUR",
      shippingAddress: address,
      paymentToken: "tok_visa",
      deliveryId: "dlv-o-1",
    });
  });

  it("records a cancellation's code and reason", () => {
    const history = [placed, cancelled].map((d) => toEvent(d));
    expect(foldAggregate("Order", "o-1", history)).toMatchObject({
      status: "cancelled",
      code: "CUSTOMER_REQUEST",
      reason: "changed my mind",
    });
  });
});
