import { eventDefinition } from "../../events/registry.ts";
import * as inventory from "../domain/inventory.ts";
import { clock } from "../kit/clock.ts";
import type { Decision, PlannedChange } from "../kit/command-runner.ts";
import { parseDraft, runDecision } from "../kit/command-runner.ts";
import { unhandledCommand } from "../kit/errors.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import type { Stored, VersionedStore } from "../kit/versioned-store.ts";
import { declaration } from "./function.ts";

const productKey = (id: string) => `Product#${id}`;
const reservationKey = (orderId: string) => `Reservation#${orderId}`;

/**
 * Restocks products and moves stock between available, reserved and shipped. A reservation
 * touches several products: they and the reservation are written in one DynamoDB transaction,
 * each conditional on the version it was read at, so stock is never reserved twice and a race
 * is decided again on fresh counts.
 */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const { eventType } = command;
    switch (eventType) {
      case "RestockProductRequested":
      case "ReserveInventoryRequested":
      case "ReleaseInventoryRequested":
      case "CommitInventoryRequested": {
        const store = runtime.store("aggregates");
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: () => decideInventory(store, command),
        });
        return;
      }
      default:
        return unhandledCommand(declaration, eventType, command);
    }
  },
});

async function decideInventory(
  store: VersionedStore,
  command: inventory.InventoryCommand,
): Promise<Decision> {
  const lookups = inventory.inventoryLookups(command);
  const reservation =
    lookups.reservationId === undefined
      ? undefined
      : await store.load(reservationKey(lookups.reservationId), inventory.initialReservationState);
  // Releasing or committing changes the products the reservation lists.
  const held = reservation?.state.status === "held" ? reservation.state.items : [];
  const productIds = [...new Set([...lookups.productIds, ...held.map((i) => i.productId)])];
  const products =
    productIds.length === 0
      ? new Map<string, Stored<inventory.ProductState>>()
      : await store.loadMany(productIds.map(productKey), inventory.initialProductState);

  const state: inventory.InventoryState = {
    reservation: reservation?.state ?? inventory.initialReservationState,
    products: Object.fromEntries(
      productIds.map((id) => {
        const product = products.get(productKey(id));
        return [id, product?.exists ? product.state : undefined];
      }),
    ),
  };
  const facts = inventory
    .decide(state, command, undefined, clock.now())
    .map((d) => parseDraft(d) as unknown as inventory.InventoryFact);
  const next = facts.reduce(inventory.evolve, state);

  const changes: PlannedChange[] = [];
  for (const id of productIds) {
    const stored = products.get(productKey(id));
    const after = next.products[id];
    if (stored === undefined || after === undefined || after === state.products[id]) continue;
    changes.push({
      stored,
      state: after,
      facts: facts.filter((f) => f.eventType === "ProductRestocked" && f.data.productId === id),
    });
  }
  if (reservation !== undefined) {
    const reservationFacts = facts.filter(
      (f) => eventDefinition(f.eventType).aggregateType === "Reservation",
    );
    if (reservationFacts.length > 0 || next.reservation !== state.reservation) {
      changes.push({ stored: reservation, state: next.reservation, facts: reservationFacts });
    }
  }
  const primary =
    reservation ??
    products.get(productKey(lookups.productIds[0] ?? "")) ??
    (await store.load(productKey(lookups.productIds[0] ?? "?"), inventory.initialProductState));
  return { primary, touched: [primary, ...changes.map((c) => c.stored)], changes };
}
