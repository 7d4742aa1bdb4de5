import type { InputOf } from "./define.ts";
import { SchemaViolationError } from "./errors.ts";
import { newEventId } from "./event-id.ts";
import { eventDefinition, toSchemaIssues } from "./registry.ts";
import type { CatalogEntry, EventOf, EventTypeName } from "./types.ts";
import { markValidated } from "./validated.ts";

/** What a producer gives for a new event; everything else is filled in. */
export interface NewEventOptions {
  /** The event or command this one follows from: correlation and trace are carried over. */
  readonly causedBy?: {
    readonly eventId: string;
    readonly correlationId: string;
    readonly traceparent?: string | undefined;
  };
  /** Defaults to `duplex.<domain>` of the type. */
  readonly source?: string;
  readonly occurredAt?: Date;
  readonly traceparent?: string;
  /** Only for deterministic ids (tests, re-issued commands). Defaults to a new UUIDv7. */
  readonly eventId?: string;
  /** Position in the aggregate's stream; set by the outbox for facts. */
  readonly sequence?: number;
}

/** The data a producer writes for a type: the latest version's input (defaults may be left out). */
export type EventInput<T extends EventTypeName> = InputOf<Extract<CatalogEntry, { type: T }>>;

/**
 * Builds a new event in the latest version of its type, validating `data` against the catalog.
 * The aggregate id is taken from the data. A first command starts a flow (its correlation and
 * causation ids are its own id); anything else passes `causedBy`.
 *
 * @example
 * ```ts
 * const command = createEvent("PlaceOrderRequested", {
 *   orderId: "o-1", customerId: "c-1", items: [{ productId: "p-1", quantity: 2 }],
 *   shippingAddress: { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
 *   paymentToken: "tok_visa",
 * });
 * const placed = createEvent("OrderPlaced", { ...data }, { causedBy: command });
 * placed.correlationId === command.eventId; // true
 * ```
 */
export function createEvent<T extends EventTypeName>(
  eventType: T,
  data: EventInput<T>,
  options: NewEventOptions = {},
): EventOf<T> {
  const definition = eventDefinition(eventType);
  const eventId = options.eventId ?? newEventId();
  const parsed = definition.latestSchema.safeParse(data);
  if (!parsed.success) {
    throw new SchemaViolationError(
      { eventId, eventType, eventVersion: definition.latestVersion },
      toSchemaIssues(parsed.error),
    );
  }
  const validData = parsed.data as Record<string, unknown>;
  const traceparent = options.traceparent ?? options.causedBy?.traceparent;
  return markValidated({
    eventId,
    eventType,
    eventVersion: definition.latestVersion,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    source: options.source ?? definition.source,
    aggregateType: definition.aggregateType,
    aggregateId: String(validData[definition.aggregateIdField]),
    correlationId: options.causedBy?.correlationId ?? eventId,
    causationId: options.causedBy?.eventId ?? eventId,
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
    data: validData,
  }) as unknown as EventOf<T>;
}
