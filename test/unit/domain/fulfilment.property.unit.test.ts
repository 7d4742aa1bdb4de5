import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { draft } from "../../../functions/domain/drafts.ts";
import type { SagaTimeouts } from "../../../functions/domain/order-saga.ts";
import { defaultSagaTimeouts, isTerminal } from "../../../functions/domain/order-saga.ts";
import type { Faults } from "./in-memory-fulfilment.ts";
import { FulfilmentSystem, seededRandom } from "./in-memory-fulfilment.ts";

/**
 * Random shops, random orders (some designed to fail), random external cancellations, and a
 * hostile schedule (facts duplicated, commands duplicated with new ids, commands late past their
 * deadlines, the clock jumping). Whatever happens, every saga must end, and stock and money must
 * be conserved.
 */

const productIds = ["p-1", "p-2", "p-3"] as const;
const customerIds = ["c-1", "c-2"] as const;

const orderArb = fc.record({
  customerId: fc.oneof(
    { arbitrary: fc.constantFrom<string>(...customerIds), weight: 9 },
    { arbitrary: fc.constant("c-ghost"), weight: 1 },
  ),
  items: fc.array(
    fc.record({
      productId: fc.oneof(
        { arbitrary: fc.constantFrom<string>(...productIds), weight: 19 },
        { arbitrary: fc.constant("p-ghost"), weight: 1 },
      ),
      quantity: fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 19 },
        { arbitrary: fc.integer({ min: -1, max: 0 }), weight: 1 },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  paymentToken: fc.constantFrom(
    "tok_visa",
    "tok_visa",
    "tok_visa",
    "tok_declined",
    "tok_no_answer",
  ),
  country: fc.constantFrom("DE", "DE", "FR", "US", "XX"),
  postalCode: fc.constantFrom("10115", "10115", "10115", "00000"),
  cancelAtStep: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined, freq: 3 }),
});

const scenarioArb = fc.record({
  stock: fc.tuple(...productIds.map(() => fc.integer({ min: 0, max: 12 }))),
  prices: fc.tuple(...productIds.map(() => fc.integer({ min: 1, max: 5_000 }))),
  orders: fc.array(orderArb, { minLength: 1, maxLength: 12 }),
  holdSeconds: fc.constantFrom(2, 4, 600),
  seed: fc.integer(),
  hostile: fc.boolean(),
});

const timeouts: SagaTimeouts = {
  ...defaultSagaTimeouts,
  inventoryMs: 3_000,
  paymentMs: 3_000,
  deliveryMs: 3_000,
  stepMs: 2_000,
};

const hostileFaults: Faults = {
  duplicateFact: 0.15,
  duplicateCommand: 0.15,
  delayCommand: 0.2,
  // Shorter than maxReissues × stepMs, so a late answer always comes before the saga gives up.
  maxDelayMs: 6_000,
  clockJump: 0.05,
  maxJumpMs: 400,
};

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function play(scenario: Scenario) {
  const system = new FulfilmentSystem({
    timeouts: { ...timeouts, holdSeconds: scenario.holdSeconds },
    random: seededRandom(scenario.seed),
    faults: scenario.hostile ? hostileFaults : undefined,
  });
  for (const customerId of customerIds) {
    system.submit(
      draft("RegisterCustomerRequested", {
        customerId,
        name: customerId,
        email: `${customerId}@example.com`,
      }),
    );
  }
  productIds.forEach((productId, i) => {
    const quantity = scenario.stock[i] ?? 0;
    if (quantity === 0) return;
    system.submit(
      draft("RestockProductRequested", {
        productId,
        name: productId,
        unitPriceCents: scenario.prices[i] ?? 1,
        quantity,
      }),
    );
  });
  system.run();

  scenario.orders.forEach((o, i) => {
    system.submit(
      draft("PlaceOrderRequested", {
        orderId: `o-${i}`,
        customerId: o.customerId,
        items: o.items,
        shippingAddress: {
          line1: "1 Main St",
          city: "Town",
          postalCode: o.postalCode,
          country: o.country,
        },
        paymentToken: o.paymentToken,
        currency: "EUR",
      }),
    );
  });
  const cancelledFromOutside = new Set<string>();
  system.run({
    beforeStep: (step) => {
      scenario.orders.forEach((o, i) => {
        if (o.cancelAtStep !== step) return;
        cancelledFromOutside.add(`o-${i}`);
        system.submit(
          draft("CancelOrderRequested", {
            orderId: `o-${i}`,
            code: "CUSTOMER_REQUEST",
            reason: "changed my mind",
          }),
        );
      });
    },
  });
  return { system, cancelledFromOutside };
}

describe("fulfilment: invariants under a hostile schedule", () => {
  it("every saga ends; stock and money are conserved", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { system, cancelledFromOutside } = play(scenario);

        // Every accepted order has a saga, and every saga ended.
        const placed = system.facts("OrderPlaced").map((e) => e.data.orderId);
        expect([...system.sagas.keys()].sort()).toEqual([...new Set(placed)].sort());
        for (const saga of system.sagas.values()) {
          expect(isTerminal(saga.status), `${saga.orderId} stuck in ${saga.status}`).toBe(true);
        }
        const failed = [...system.sagas.values()].filter((s) => s.status === "FAILED");
        // The only way to FAILED here: cancelled from outside while completing.
        for (const saga of failed) expect(cancelledFromOutside.has(saga.orderId)).toBe(true);

        // The order aggregate agrees with the saga.
        for (const saga of system.sagas.values()) {
          const order = system.state("Order", saga.orderId);
          if (saga.status === "COMPLETED") expect(order.status).toBe("completed");
          if (saga.status === "CANCELLED") expect(order.status).toBe("cancelled");
        }

        // Stock: initial = available + reserved + shipped, per product; nothing negative;
        // nothing left reserved once every saga has settled.
        productIds.forEach((productId, i) => {
          const p = system.state("Product", productId);
          expect(p.available + p.reserved + p.shipped).toBe(scenario.stock[i]);
          expect(p.available).toBeGreaterThanOrEqual(0);
          if (failed.length === 0) expect(p.reserved).toBe(0);
        });

        // Money: at most one capture and one refund per order; refunds never exceed captures;
        // captured − refunded = revenue of completed orders (+ what FAILED sagas hold).
        const net = new Map<string, number>();
        const captures = system.facts("PaymentProcessed");
        const refunds = system.facts("PaymentRefunded");
        for (const e of captures)
          net.set(e.data.orderId, (net.get(e.data.orderId) ?? 0) + e.data.amountCents);
        for (const e of refunds)
          net.set(e.data.orderId, (net.get(e.data.orderId) ?? 0) - e.data.amountCents);
        expect(new Set(captures.map((e) => e.data.orderId)).size).toBe(captures.length);
        expect(new Set(refunds.map((e) => e.data.orderId)).size).toBe(refunds.length);
        let revenue = 0;
        let heldByFailed = 0;
        for (const saga of system.sagas.values()) {
          const money = net.get(saga.orderId) ?? 0;
          expect(money).toBeGreaterThanOrEqual(0);
          if (saga.status === "COMPLETED") {
            expect(money).toBe(saga.totalCents);
            revenue += saga.totalCents;
          } else if (saga.status === "CANCELLED") {
            expect(money).toBe(0);
          } else {
            heldByFailed += money;
          }
        }
        const captured = captures.reduce((s, e) => s + e.data.amountCents, 0);
        const refunded = refunds.reduce((s, e) => s + e.data.amountCents, 0);
        expect(captured - refunded).toBe(revenue + heldByFailed);

        // A cancelled order was never charged in the end, and nothing shipped without an order
        // that got that far (completed, or cancelled from outside after the commit).
        for (const e of system.facts("InventoryCommitted")) {
          const status = system.sagas.get(e.data.orderId)?.status;
          const fine = status === "COMPLETED" || cancelledFromOutside.has(e.data.orderId);
          expect(fine, `${e.data.orderId} shipped but ${status}`).toBe(true);
        }
      }),
      { numRuns: Number(process.env.DOMAIN_RUNS ?? 300) },
    );
  });

  it("a hostile schedule does exercise late answers, duplicates and re-sends", () => {
    // Guards the property above against a schedule that is quietly benign.
    let resends = 0;
    let lateRefunds = 0;
    let lateReleases = 0;
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { system } = play({ ...scenario, hostile: true });
        const types = system.log.map((e) => e.eventType);
        resends +=
          types.filter((t) => t === "CommitInventoryRequested").length -
          system.facts("InventoryCommitted").length;
        lateRefunds += system.log.filter(
          (e) => e.eventType === "RefundPaymentRequested" && e.data.reason.includes("after order"),
        ).length;
        lateReleases += system.log.filter(
          (e) =>
            e.eventType === "ReleaseInventoryRequested" && e.data.reason.includes("after order"),
        ).length;
      }),
      { numRuns: 200, seed: 42 },
    );
    expect(resends).toBeGreaterThan(0);
    expect(lateRefunds).toBeGreaterThan(0);
    expect(lateReleases).toBeGreaterThan(0);
  });
});
