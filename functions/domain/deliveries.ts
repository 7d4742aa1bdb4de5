import type { EventData } from "../../events/types.ts";
import type { EventBody, EventDraft } from "./drafts.ts";
import { draft } from "./drafts.ts";
import { unreachable } from "./errors.ts";

/**
 * The Delivery aggregate (id: `orderId`, one delivery per order): books a carrier for an address.
 * Carrier choice is a pure function of the country, so replays book the same carrier.
 */

export type DeliveryState =
  | { readonly status: "none" }
  | {
      readonly status: "scheduled";
      readonly deliveryId: string;
      readonly carrier: string;
      readonly estimatedDeliveryDate: string;
    }
  | { readonly status: "failed"; readonly reason: string };

export type DeliveryStatus = DeliveryState["status"];

export type DeliveryCommandName = "ScheduleDeliveryRequested";
export type DeliveryCommand = EventBody<DeliveryCommandName>;

export const deliveryFactNames = ["DeliveryScheduled", "DeliverySchedulingFailed"] as const;
export type DeliveryFactName = (typeof deliveryFactNames)[number];
export type DeliveryFact = EventBody<DeliveryFactName>;

/** The countries carriers serve, and which carrier takes each; anywhere else is unserviceable. */
export const carriersByCountry: Readonly<Record<string, string>> = {
  DE: "DHL",
  AT: "DHL",
  PL: "DHL",
  FR: "DPD",
  BE: "DPD",
  NL: "DPD",
  ES: "GLS",
  IT: "GLS",
  GB: "Royal Mail",
  US: "UPS",
};

/** A postal code no carrier accepts; the demo uses it to make delivery fail anywhere. */
export const UNSERVICEABLE_POSTAL_CODE = "00000";

/** Days from scheduling to the estimated delivery. */
export const DELIVERY_DAYS = 3;

type Address = EventData<"ScheduleDeliveryRequested">["address"];

/**
 * The carrier for an address, or `undefined` when none serves it.
 *
 * @example
 * ```ts
 * carrierFor({ line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" }); // "DHL"
 * carrierFor({ ...berlin, country: "XX" }); // undefined
 * ```
 */
export function carrierFor(address: Address): string | undefined {
  if (address.postalCode === UNSERVICEABLE_POSTAL_CODE) return undefined;
  return Object.hasOwn(carriersByCountry, address.country)
    ? carriersByCountry[address.country]
    : undefined;
}

/** The delivery id of an order: derived, so replays agree. */
export function deliveryIdFor(orderId: string): string {
  return `dlv-${orderId}`;
}

/** Whether an event is one of the Delivery aggregate's facts. */
export function isDeliveryFact(event: EventBody): event is DeliveryFact {
  return (deliveryFactNames as readonly string[]).includes(event.eventType);
}

/** No delivery for the order yet. */
export const initialState: DeliveryState = { status: "none" };

/**
 * Decides where scheduling a delivery leads. Asking again for the same order yields `[]`.
 *
 * @example
 * ```ts
 * decide(initialState, schedule, undefined, new Date("2026-11-23T10:00:00Z"));
 * // [{ eventType: "DeliveryScheduled", data: { orderId: "o-1", deliveryId: "dlv-o-1",
 * //    carrier: "DHL", estimatedDeliveryDate: "2026-11-26" } }]
 * ```
 */
export function decide(
  state: DeliveryState,
  command: DeliveryCommand,
  _context: undefined,
  now: Date,
): EventDraft<DeliveryFactName>[] {
  const { orderId, address } = command.data;
  if (state.status !== "none") return [];
  const carrier = carrierFor(address);
  if (carrier === undefined) {
    return [
      draft("DeliverySchedulingFailed", {
        orderId,
        code: "ADDRESS_UNSERVICEABLE",
        reason: `no carrier serves ${address.country} ${address.postalCode} (order ${orderId})`,
      }),
    ];
  }
  const estimated = new Date(now.getTime() + DELIVERY_DAYS * 86_400_000);
  return [
    draft("DeliveryScheduled", {
      orderId,
      deliveryId: deliveryIdFor(orderId),
      carrier,
      estimatedDeliveryDate: estimated.toISOString().slice(0, 10),
    }),
  ];
}

/**
 * Applies a delivery fact.
 *
 * @example
 * ```ts
 * evolve(initialState, scheduled).status; // "scheduled"
 * ```
 */
export function evolve(state: DeliveryState, event: DeliveryFact): DeliveryState {
  switch (event.eventType) {
    case "DeliveryScheduled": {
      if (state.status !== "none") return state;
      const { deliveryId, carrier, estimatedDeliveryDate } = event.data;
      return { status: "scheduled", deliveryId, carrier, estimatedDeliveryDate };
    }
    case "DeliverySchedulingFailed":
      if (state.status !== "none") return state;
      return { status: "failed", reason: event.data.reason };
    default:
      return unreachable(event, "deliveries.evolve");
  }
}
