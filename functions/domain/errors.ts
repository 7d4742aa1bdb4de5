/**
 * Programming errors of the domain. Business refusals are never thrown: they are rejection events
 * (`OrderRejected`, `InventoryCommandRejected`, ...), so a bad command cannot loop in retries.
 * These errors mean the caller broke the contract, and say how.
 */

/** An event or command reached a switch that the type system says cannot see it. */
export class UnexpectedEventError extends Error {
  override readonly name = "UnexpectedEventError";
  readonly eventType: string;

  constructor(where: string, eventType: string) {
    super(`${where}: unexpected event type '${eventType}'`);
    this.eventType = eventType;
  }
}

/** A decider needs facts the handler must load (a customer, products, an order's status). */
export class MissingContextError extends Error {
  override readonly name = "MissingContextError";

  constructor(commandType: string, aggregateId: string, missing: string) {
    super(`${commandType} for ${aggregateId}: the handler must pass ${missing}`);
  }
}

/**
 * The `default` branch of an exhaustive switch: a compile error when a case is missing, and a
 * loud failure (naming the type) if a value the types exclude arrives anyway at run time.
 *
 * @example
 * ```ts
 * switch (event.eventType) {
 *   case "CustomerRegistered": return ...;
 *   default: return unreachable(event, "customers.evolve");
 * }
 * ```
 */
export function unreachable(value: never, where: string): never {
  const type = (value as { eventType?: unknown } | undefined)?.eventType;
  throw new UnexpectedEventError(where, String(type ?? value));
}

/** A saga was handed a fact of another order: the runtime loaded the wrong saga. */
export class SagaMismatchError extends Error {
  override readonly name = "SagaMismatchError";

  constructor(sagaOrderId: string, eventType: string, factOrderId: string) {
    super(`saga of order ${sagaOrderId} was given ${eventType} of order ${factOrderId}`);
  }
}
