import type { EventBody, EventDraft } from "./drafts.ts";
import { draft } from "./drafts.ts";
import { unreachable } from "./errors.ts";

/**
 * The Customer aggregate (id: `customerId`). A customer is registered once; orders check that it
 * exists before they are accepted.
 */

export type CustomerState =
  | { readonly status: "none" }
  | { readonly status: "registered"; readonly name: string; readonly email: string };

export type CustomerCommandName = "RegisterCustomerRequested";
export type CustomerCommand = EventBody<CustomerCommandName>;

export const customerFactNames = ["CustomerRegistered", "CustomerRegistrationRejected"] as const;
export type CustomerFactName = (typeof customerFactNames)[number];
export type CustomerFact = EventBody<CustomerFactName>;

/** Whether an event is one of the Customer aggregate's facts. */
export function isCustomerFact(event: EventBody): event is CustomerFact {
  return (customerFactNames as readonly string[]).includes(event.eventType);
}

/** The state before any event. */
export const initialState: CustomerState = { status: "none" };

/**
 * Decides what a customer command leads to.
 *
 * @example
 * ```ts
 * decide(initialState, registerCommand, undefined, now);
 * // [{ eventType: "CustomerRegistered", data: { customerId: "c-1", name: "Ada", email: "..." } }]
 * ```
 */
export function decide(
  state: CustomerState,
  command: CustomerCommand,
  _context: undefined,
  _now: Date,
): EventDraft<CustomerFactName>[] {
  const { customerId, name, email } = command.data;
  if (state.status === "registered") {
    return [
      draft("CustomerRegistrationRejected", {
        customerId,
        code: "DUPLICATE_CUSTOMER",
        reason: `customer ${customerId} is already registered`,
      }),
    ];
  }
  return [draft("CustomerRegistered", { customerId, name, email })];
}

/**
 * Applies a customer fact.
 *
 * @example
 * ```ts
 * evolve(initialState, registered); // { status: "registered", name: "Ada", email: "..." }
 * ```
 */
export function evolve(state: CustomerState, event: CustomerFact): CustomerState {
  switch (event.eventType) {
    case "CustomerRegistered":
      // A rejection never follows a registration's success, so the first one wins.
      if (state.status === "registered") return state;
      return { status: "registered", name: event.data.name, email: event.data.email };
    case "CustomerRegistrationRejected":
      return state;
    default:
      return unreachable(event, "customers.evolve");
  }
}
