import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldAggregate } from "../../../functions/domain/aggregates.ts";
import type { EventBody, EventDraft } from "../../../functions/domain/drafts.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import * as inventory from "../../../functions/domain/inventory.ts";
import { toEvent } from "./decider-spec.ts";

const productIds = ["p-1", "p-2", "p-3"] as const;
const orderIds = ["o-1", "o-2", "o-3", "o-4"] as const;

const line = fc.record({
  productId: fc.constantFrom(...productIds, "p-unknown"),
  quantity: fc.integer({ min: -1, max: 6 }),
});

/** Any inventory command, including bad quantities and unknown products. */
const command: fc.Arbitrary<EventDraft<inventory.InventoryCommandName>> = fc.oneof(
  fc
    .record({ productId: fc.constantFrom(...productIds), quantity: fc.integer({ min: 1, max: 8 }) })
    .map(({ productId, quantity }) =>
      draft("RestockProductRequested", {
        productId,
        name: productId,
        unitPriceCents: 100,
        quantity,
      }),
    ),
  fc
    .record({
      orderId: fc.constantFrom(...orderIds),
      items: fc.array(line, { minLength: 1, maxLength: 4 }),
      holdSeconds: fc.integer({ min: 1, max: 120 }),
    })
    .map((data) => draft("ReserveInventoryRequested", data)),
  fc
    .constantFrom(...orderIds)
    .map((orderId) => draft("ReleaseInventoryRequested", { orderId, reason: "test" })),
  fc
    .constantFrom(...orderIds)
    .map((orderId) => draft("CommitInventoryRequested", { orderId, deliveryId: `dlv-${orderId}` })),
);

const step = fc.record({ command, advanceSeconds: fc.integer({ min: 0, max: 90 }) });

describe("inventory: stock is conserved", () => {
  it("for any command sequence, restocked = available + reserved + shipped, none negative", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const log: EventBody[] = [];
        const restocked = new Map<string, number>();
        let now = Date.parse("2026-11-23T10:00:00.000Z");

        for (const { command: commandDraft, advanceSeconds } of steps) {
          now += advanceSeconds * 1000;
          const received = toEvent(commandDraft) as inventory.InventoryCommand;
          const { reservationId, productIds: ids } = inventory.inventoryLookups(received);
          const state: inventory.InventoryState = {
            reservation:
              reservationId === undefined
                ? inventory.initialReservationState
                : foldAggregate("Reservation", reservationId, log),
            products: Object.fromEntries(ids.map((id) => [id, foldAggregate("Product", id, log)])),
          };
          for (const produced of inventory.decide(state, received, undefined, new Date(now))) {
            log.push(toEvent(produced));
            if (produced.eventType === "ProductRestocked") {
              const { productId, quantity } = produced.data;
              restocked.set(productId, (restocked.get(productId) ?? 0) + quantity);
            }
          }
        }

        for (const id of productIds) {
          const p = foldAggregate("Product", id, log);
          expect(p.available + p.reserved + p.shipped).toBe(restocked.get(id) ?? 0);
          expect(p.available).toBeGreaterThanOrEqual(0);
          expect(p.reserved).toBeGreaterThanOrEqual(0);
          // Reserved units are exactly what held reservations list.
          const held = orderIds
            .map((o) => foldAggregate("Reservation", o, log))
            .flatMap((r) => (r.status === "held" ? r.items : []))
            .filter((i) => i.productId === id)
            .reduce((sum, i) => sum + i.quantity, 0);
          expect(p.reserved).toBe(held);
        }
        expect(foldAggregate("Product", "p-unknown", log)).toEqual(inventory.initialProductState);
      }),
      { numRuns: 300 },
    );
  });
});
