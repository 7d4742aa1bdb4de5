import * as customers from "./customers.ts";
import * as deliveries from "./deliveries.ts";
import type { EventBody } from "./drafts.ts";
import * as orders from "./orders.ts";
import * as payments from "./payments.ts";
import * as products from "./products.ts";
import * as reservations from "./reservations.ts";

/**
 * Every aggregate of the domain, by the `aggregateType` the catalog gives its events, with what
 * it takes to fold its state from the log: the initial state, which ids an event changes, and
 * how. Operators' tools fold an aggregate "as of" a point by passing the events up to it.
 */
export interface AggregateModel<S> {
  readonly aggregateType: string;
  readonly initialState: S;
  /**
   * The ids of this aggregate an event changes; `[]` for events it does not fold. A product is
   * changed by its restocks and by the reservation facts (keyed by order) that list it.
   */
  readonly idsTouchedBy: (event: EventBody) => readonly string[];
  /** Applies an event to aggregate `aggregateId`; events it does not fold leave the state as is. */
  readonly evolve: (aggregateId: string, state: S, event: EventBody) => S;
}

function model<S, F extends EventBody>(
  aggregateType: string,
  initialState: S,
  isFact: (event: EventBody) => event is F,
  idOf: (fact: F) => readonly string[],
  evolve: (aggregateId: string, state: S, fact: F) => S,
): AggregateModel<S> {
  return {
    aggregateType,
    initialState,
    idsTouchedBy: (event) => (isFact(event) ? idOf(event) : []),
    evolve: (aggregateId, state, event) =>
      isFact(event) && idOf(event).includes(aggregateId)
        ? evolve(aggregateId, state, event)
        : state,
  };
}

export const aggregates = {
  Customer: model(
    "Customer",
    customers.initialState,
    customers.isCustomerFact,
    (e) => [e.data.customerId],
    (_, s, e) => customers.evolve(s, e),
  ),
  Order: model(
    "Order",
    orders.initialState,
    orders.isOrderFact,
    (e) => [e.data.orderId],
    (_, s, e) => orders.evolve(s, e),
  ),
  Product: model(
    "Product",
    products.initialProductState,
    products.isProductFact,
    products.productIdsTouchedBy,
    (id, s, e) => products.evolveProduct(id)(s, e),
  ),
  Reservation: model(
    "Reservation",
    reservations.initialReservationState,
    reservations.isReservationFact,
    (e) => [e.data.orderId],
    (_, s, e) => reservations.evolveReservation(s, e),
  ),
  Payment: model(
    "Payment",
    payments.initialState,
    payments.isPaymentFact,
    (e) => [e.data.orderId],
    (_, s, e) => payments.evolve(s, e),
  ),
  Delivery: model(
    "Delivery",
    deliveries.initialState,
    deliveries.isDeliveryFact,
    (e) => [e.data.orderId],
    (_, s, e) => deliveries.evolve(s, e),
  ),
} as const;

export type AggregateTypeName = keyof typeof aggregates;

/** The state type of an aggregate, e.g. `StateOf<"Order">`. */
export type StateOf<A extends AggregateTypeName> =
  (typeof aggregates)[A] extends AggregateModel<infer S> ? S : never;

/**
 * Whether a string names an aggregate of the registry (for CLIs that take it as an argument).
 *
 * @example
 * ```ts
 * isAggregateType("Order"); // true
 * isAggregateType("Saga"); // false
 * ```
 */
export function isAggregateType(name: string): name is AggregateTypeName {
  return Object.hasOwn(aggregates, name);
}

/**
 * Folds one aggregate's state from events (in log order; commands and other aggregates' events
 * are skipped). The log is at-least-once: pass each event id once.
 *
 * @example
 * ```ts
 * foldAggregate("Product", "p-1", inventoryEvents);
 * // { exists: true, name: "Kettle", available: 7, reserved: 2, shipped: 1, ... }
 * ```
 */
export function foldAggregate<A extends AggregateTypeName>(
  aggregateType: A,
  aggregateId: string,
  events: Iterable<EventBody>,
): StateOf<A> {
  const definition = aggregates[aggregateType] as unknown as AggregateModel<StateOf<A>>;
  let state = definition.initialState;
  for (const event of events) state = definition.evolve(aggregateId, state, event);
  return state;
}
