import type { EventBody } from "./drafts.ts";
import { unreachable } from "./errors.ts";
import { distinctIds, quantityOf } from "./lines.ts";

/**
 * The Product aggregate (id: `productId`): its catalogue entry and where its units are. Units only
 * move between buckets, so `available + reserved + shipped` always equals the units restocked.
 * A product's history is spread over the inventory topic: its own restocks (keyed by product id)
 * and the reservation facts (keyed by order id) that list it.
 */

export interface ProductState {
  readonly exists: boolean;
  readonly name: string;
  readonly unitPriceCents: number;
  /** Units that can be reserved. */
  readonly available: number;
  /** Units held for orders that are not settled yet. */
  readonly reserved: number;
  /** Units committed to a delivery. */
  readonly shipped: number;
}

export const productFactNames = [
  "ProductRestocked",
  "InventoryReserved",
  "InventoryReleased",
  "InventoryCommitted",
] as const;
export type ProductFactName = (typeof productFactNames)[number];
export type ProductFact = EventBody<ProductFactName>;

/** A product nobody has restocked yet. */
export const initialProductState: ProductState = {
  exists: false,
  name: "",
  unitPriceCents: 0,
  available: 0,
  reserved: 0,
  shipped: 0,
};

/** Whether an event can change some product's state. */
export function isProductFact(event: EventBody): event is ProductFact {
  return (productFactNames as readonly string[]).includes(event.eventType);
}

/**
 * The products an event changes: the restocked one, or every product a reservation fact lists.
 *
 * @example
 * ```ts
 * productIdsTouchedBy(reserved); // ["p-1", "p-2"]
 * productIdsTouchedBy(paymentProcessed); // []
 * ```
 */
export function productIdsTouchedBy(event: EventBody): string[] {
  if (!isProductFact(event)) return [];
  if (event.eventType === "ProductRestocked") return [event.data.productId];
  return distinctIds(event.data.items.map((i) => i.productId));
}

/**
 * The evolve function of one product: facts about other products leave the state unchanged, so
 * the whole inventory topic can be folded through it.
 *
 * @example
 * ```ts
 * const kettle = inventoryEvents.reduce(evolveProduct("p-1"), initialProductState);
 * kettle.available + kettle.reserved + kettle.shipped; // units ever restocked
 * ```
 */
export function evolveProduct(
  productId: string,
): (state: ProductState, event: ProductFact) => ProductState {
  return (state, event) => {
    switch (event.eventType) {
      case "ProductRestocked": {
        const { data } = event;
        if (data.productId !== productId) return state;
        return {
          ...state,
          exists: true,
          name: data.name,
          unitPriceCents: data.unitPriceCents,
          available: state.available + data.quantity,
        };
      }
      case "InventoryReserved":
        return move(state, quantityOf(event.data.items, productId), "available", "reserved");
      case "InventoryReleased":
        return move(state, quantityOf(event.data.items, productId), "reserved", "available");
      case "InventoryCommitted":
        return move(state, quantityOf(event.data.items, productId), "reserved", "shipped");
      default:
        return unreachable(event, "products.evolveProduct");
    }
  };
}

type Bucket = "available" | "reserved" | "shipped";

function move(state: ProductState, units: number, from: Bucket, to: Bucket): ProductState {
  if (units === 0) return state;
  return { ...state, [from]: state[from] - units, [to]: state[to] + units };
}
