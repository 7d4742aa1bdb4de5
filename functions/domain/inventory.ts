import type { EventData } from "../../events/types.ts";
import type { EventBody, EventDraft } from "./drafts.ts";
import { draft, reasonText } from "./drafts.ts";
import { unreachable } from "./errors.ts";
import { distinctIds, mergeLines } from "./lines.ts";
import { lookup } from "./lookup.ts";
import type { ProductFact, ProductState } from "./products.ts";
import {
  evolveProduct,
  initialProductState,
  isProductFact,
  productIdsTouchedBy,
} from "./products.ts";
import type { ReservationFact, ReservationState } from "./reservations.ts";
import { evolveReservation, initialReservationState, isReservationFact } from "./reservations.ts";

export type { ProductState } from "./products.ts";
export {
  evolveProduct,
  initialProductState,
  isProductFact,
  productIdsTouchedBy,
} from "./products.ts";
export type { ReservationState, ReservationStatus } from "./reservations.ts";
export {
  evolveReservation,
  initialReservationState,
  isReservationFact,
} from "./reservations.ts";

/**
 * The inventory context: the Product and Reservation aggregates and the commands that move stock
 * between them. Reserving reads several products at once, so the deciding state is one
 * reservation together with the products its command names (see {@link inventoryLookups}).
 */

export type InventoryCommandName =
  | "RestockProductRequested"
  | "ReserveInventoryRequested"
  | "ReleaseInventoryRequested"
  | "CommitInventoryRequested";
export type InventoryCommand = EventBody<InventoryCommandName>;

export type InventoryFactName = ProductFact["eventType"] | ReservationFact["eventType"];
export type InventoryFact = EventBody<InventoryFactName>;

/** One reservation (of the command's order) and the products the command names. */
export interface InventoryState {
  readonly reservation: ReservationState;
  /** A product mapped to `undefined` (or absent) was never restocked. */
  readonly products: Readonly<Record<string, ProductState | undefined>>;
}

/** Nothing reserved, no products. */
export const initialState: InventoryState = {
  reservation: initialReservationState,
  products: {},
};

/** Whether an event is a fact of the inventory context. */
export function isInventoryFact(event: EventBody): event is InventoryFact {
  return isProductFact(event) || isReservationFact(event);
}

/**
 * Which aggregates a handler must load to decide a command.
 *
 * @example
 * ```ts
 * inventoryLookups(reserve); // { reservationId: "o-1", productIds: ["p-1", "p-2"] }
 * inventoryLookups(restock); // { reservationId: undefined, productIds: ["p-1"] }
 * ```
 */
export function inventoryLookups(command: InventoryCommand): {
  readonly reservationId: string | undefined;
  readonly productIds: readonly string[];
} {
  switch (command.eventType) {
    case "RestockProductRequested":
      return { reservationId: undefined, productIds: [command.data.productId] };
    case "ReserveInventoryRequested":
      return {
        reservationId: command.data.orderId,
        productIds: distinctIds(command.data.items.map((i) => i.productId)),
      };
    case "ReleaseInventoryRequested":
    case "CommitInventoryRequested":
      // The reservation lists its items; the products are only changed, not read.
      return { reservationId: command.data.orderId, productIds: [] };
    default:
      return unreachable(command, "inventory.inventoryLookups");
  }
}

/**
 * Decides what an inventory command leads to. A reservation never takes more than is available,
 * and a held reservation cannot be committed after it expires (`now > expiresAt`).
 *
 * @example
 * ```ts
 * decide({ reservation: initialReservationState, products: { "p-1": kettle } }, reserve, undefined, now);
 * // [{ eventType: "InventoryReserved", data: { orderId: "o-1", items: [...], expiresAt: "..." } }]
 * ```
 */
export function decide(
  state: InventoryState,
  command: InventoryCommand,
  _context: undefined,
  now: Date,
): EventDraft<InventoryFactName>[] {
  switch (command.eventType) {
    case "RestockProductRequested": {
      const { productId, name, unitPriceCents, quantity } = command.data;
      return [draft("ProductRestocked", { productId, name, unitPriceCents, quantity })];
    }
    case "ReserveInventoryRequested":
      return reserve(state, command.data, now);
    case "ReleaseInventoryRequested":
      return release(state.reservation, command.data);
    case "CommitInventoryRequested":
      return commit(state.reservation, command.data, now);
    default:
      return unreachable(command, "inventory.decide");
  }
}

function reserve(
  state: InventoryState,
  data: EventData<"ReserveInventoryRequested">,
  now: Date,
): EventDraft<"InventoryReserved" | "InventoryReservationFailed">[] {
  const { orderId, items } = data;
  // Whatever happened to this order's reservation, asking again must not hold stock twice.
  if (state.reservation.status !== "none") return [];

  const fail = (
    code: EventData<"InventoryReservationFailed">["code"],
    reason: string,
    shortages: EventData<"InventoryReservationFailed">["shortages"] = [],
  ) => [
    draft("InventoryReservationFailed", {
      orderId,
      code,
      reason: reasonText(reason),
      shortages,
    }),
  ];

  const invalid = items.filter((i) => i.quantity <= 0);
  if (items.length === 0 || invalid.length > 0) {
    const named = invalid.map((i) => `${i.productId} (${i.quantity})`).join(", ");
    return fail("INVALID_QUANTITY", `order ${orderId}: quantities must be positive: ${named}`);
  }
  const lines = mergeLines(items);
  const productOf = (id: string) => {
    const product = lookup(state.products, id);
    return product?.exists === true ? product : undefined;
  };
  const unknown = lines.filter((l) => productOf(l.productId) === undefined);
  if (unknown.length > 0) {
    const named = unknown.map((l) => l.productId).join(", ");
    return fail("UNKNOWN_PRODUCT", `order ${orderId}: unknown products: ${named}`);
  }
  const shortages = lines
    .map((l) => ({
      productId: l.productId,
      requested: l.quantity,
      available: Math.max(0, productOf(l.productId)?.available ?? 0),
    }))
    .filter((s) => s.requested > s.available);
  if (shortages.length > 0) {
    const named = shortages
      .map((s) => `${s.productId}: ${s.requested} requested, ${s.available} available`)
      .join("; ");
    return fail("INSUFFICIENT_STOCK", `order ${orderId}: ${named}`, shortages);
  }
  const expiresAt = new Date(now.getTime() + data.holdSeconds * 1000).toISOString();
  return [draft("InventoryReserved", { orderId, items: lines, expiresAt })];
}

type RejectionCode = EventData<"InventoryCommandRejected">["code"];

function release(
  reservation: ReservationState,
  data: EventData<"ReleaseInventoryRequested">,
): EventDraft<"InventoryReleased" | "InventoryCommandRejected">[] {
  const { orderId } = data;
  const reject = (code: RejectionCode, reason: string) => [
    draft("InventoryCommandRejected", {
      orderId,
      command: "ReleaseInventoryRequested",
      code,
      reason,
    }),
  ];
  switch (reservation.status) {
    case "none":
      return reject("NO_RESERVATION", `nothing is held for order ${orderId}`);
    case "failed":
      return reject(
        "NO_RESERVATION",
        `the reservation for order ${orderId} failed; nothing is held`,
      );
    case "released":
      return reject("ALREADY_RELEASED", `the stock held for order ${orderId} is already released`);
    case "committed":
      return reject("ALREADY_COMMITTED", `the stock held for order ${orderId} is already shipped`);
    case "held":
      // An expired hold is released like any other: expiry only forbids committing it.
      return [
        draft("InventoryReleased", { orderId, items: [...reservation.items], reason: data.reason }),
      ];
    default:
      return unreachable(reservation, "inventory.release");
  }
}

function commit(
  reservation: ReservationState,
  data: EventData<"CommitInventoryRequested">,
  now: Date,
): EventDraft<"InventoryCommitted" | "InventoryCommandRejected">[] {
  const { orderId, deliveryId } = data;
  const reject = (code: RejectionCode, reason: string) => [
    draft("InventoryCommandRejected", {
      orderId,
      command: "CommitInventoryRequested",
      code,
      reason,
    }),
  ];
  switch (reservation.status) {
    case "none":
      return reject("NO_RESERVATION", `nothing is held for order ${orderId}`);
    case "failed":
      return reject(
        "NO_RESERVATION",
        `the reservation for order ${orderId} failed; nothing is held`,
      );
    case "released":
      return reject("ALREADY_RELEASED", `the stock held for order ${orderId} was released`);
    case "committed":
      return [];
    case "held":
      if (now.getTime() > Date.parse(reservation.expiresAt)) {
        return reject(
          "RESERVATION_EXPIRED",
          `the reservation for order ${orderId} expired at ${reservation.expiresAt}`,
        );
      }
      return [draft("InventoryCommitted", { orderId, items: [...reservation.items], deliveryId })];
    default:
      return unreachable(reservation, "inventory.commit");
  }
}

/**
 * Applies an inventory fact to a deciding state: reservation facts change its reservation (they
 * are taken to be that reservation's) and every product they list; a restock changes its product.
 * Handlers use it to get the states to store next to the events a decision produced.
 *
 * @example
 * ```ts
 * const next = decide(state, reserve, undefined, now).reduce(
 *   (s, d) => evolve(s, toEvent(d)), state);
 * ```
 */
export function evolve(state: InventoryState, event: InventoryFact): InventoryState {
  const reservation = isReservationFact(event)
    ? evolveReservation(state.reservation, event)
    : state.reservation;
  let products = state.products;
  if (isProductFact(event)) {
    const next: Record<string, ProductState | undefined> = { ...state.products };
    for (const id of productIdsTouchedBy(event)) {
      next[id] = evolveProduct(id)(lookup(state.products, id) ?? initialProductState, event);
    }
    products = next;
  }
  return { reservation, products };
}
