import type { Projection } from "../kit/projector.ts";
import type { ViewUpdate } from "../kit/read-models.ts";

/**
 * Available, reserved and shipped units per product. Every change is an addition, so the levels
 * do not depend on the order in which different reservations' events are applied.
 */
function move(
  items: readonly { productId: string; quantity: number }[],
  from: "available" | "reserved",
  to: "reserved" | "available" | "shipped",
): ViewUpdate[] {
  return items.map((item) => ({
    entity: item.productId,
    set: { productId: item.productId },
    add: { [from]: -item.quantity, [to]: item.quantity },
  }));
}

export const inventoryLevelsProjection: Projection = {
  name: "inventory-levels",
  eventTypes: new Set([
    "ProductRestocked",
    "InventoryReserved",
    "InventoryReleased",
    "InventoryCommitted",
  ]),
  project(event) {
    switch (event.eventType) {
      case "ProductRestocked": {
        const { productId, name, unitPriceCents, quantity } = event.data;
        return [
          {
            entity: productId,
            set: { productId, name, unitPriceCents },
            add: { available: quantity, restocked: quantity, reserved: 0, shipped: 0 },
          },
        ];
      }
      case "InventoryReserved":
        return move(event.data.items, "available", "reserved");
      case "InventoryReleased":
        return move(event.data.items, "reserved", "available");
      case "InventoryCommitted":
        return move(event.data.items, "reserved", "shipped");
      default:
        return [];
    }
  },
};
