import type { EventBody } from "./drafts.ts";
import { unreachable } from "./errors.ts";
import type { Line } from "./lines.ts";

/**
 * The Reservation aggregate (id: `orderId`): the stock held for one order, from the moment it is
 * reserved until it is released or committed to a delivery. A hold has an expiry; after it a
 * commit is refused, and the saga gives the stock back.
 */

export type ReservationFailureCode = "INSUFFICIENT_STOCK" | "UNKNOWN_PRODUCT" | "INVALID_QUANTITY";

export type ReservationState =
  | { readonly status: "none" }
  | { readonly status: "held"; readonly items: readonly Line[]; readonly expiresAt: string }
  | {
      readonly status: "released";
      readonly items: readonly Line[];
      readonly expiresAt: string;
      readonly reason: string;
    }
  | {
      readonly status: "committed";
      readonly items: readonly Line[];
      readonly expiresAt: string;
      readonly deliveryId: string;
    }
  | { readonly status: "failed"; readonly code: ReservationFailureCode; readonly reason: string };

export type ReservationStatus = ReservationState["status"];

export const reservationFactNames = [
  "InventoryReserved",
  "InventoryReservationFailed",
  "InventoryReleased",
  "InventoryCommitted",
  "InventoryCommandRejected",
] as const;
export type ReservationFactName = (typeof reservationFactNames)[number];
export type ReservationFact = EventBody<ReservationFactName>;

/** No reservation for the order yet. */
export const initialReservationState: ReservationState = { status: "none" };

/** Whether an event is one of the Reservation aggregate's facts. */
export function isReservationFact(event: EventBody): event is ReservationFact {
  return (reservationFactNames as readonly string[]).includes(event.eventType);
}

/**
 * Applies a reservation fact. Facts that do not fit the state (never produced by the decider)
 * leave it unchanged.
 *
 * @example
 * ```ts
 * evolveReservation(initialReservationState, reserved);
 * // { status: "held", items: [...], expiresAt: "2026-11-23T10:10:00.000Z" }
 * ```
 */
export function evolveReservation(
  state: ReservationState,
  event: ReservationFact,
): ReservationState {
  switch (event.eventType) {
    case "InventoryReserved":
      if (state.status !== "none") return state;
      return { status: "held", items: event.data.items, expiresAt: event.data.expiresAt };
    case "InventoryReservationFailed":
      if (state.status !== "none") return state;
      return { status: "failed", code: event.data.code, reason: event.data.reason };
    case "InventoryReleased":
      if (state.status !== "held") return state;
      return { ...state, status: "released", reason: event.data.reason };
    case "InventoryCommitted":
      if (state.status !== "held") return state;
      return { ...state, status: "committed", deliveryId: event.data.deliveryId };
    case "InventoryCommandRejected":
      return state;
    default:
      return unreachable(event, "reservations.evolveReservation");
  }
}
