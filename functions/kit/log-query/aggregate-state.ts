import { allEventDefinitions, findEventDefinition } from "../../../events/registry.ts";
import type { AnyEvent } from "../../../events/types.ts";
import {
  type AggregateTypeName,
  aggregates,
  foldAggregate,
  isAggregateType,
} from "../../domain/aggregates.ts";
import { customerFactNames } from "../../domain/customers.ts";
import { deliveryFactNames } from "../../domain/deliveries.ts";
import type { EventBody } from "../../domain/drafts.ts";
import { orderFactNames } from "../../domain/orders.ts";
import { paymentFactNames } from "../../domain/payments.ts";
import { productFactNames } from "../../domain/products.ts";
import { reservationFactNames } from "../../domain/reservations.ts";
import type { ReadModelStore } from "../read-models.ts";
import type { LogAccess } from "./access.ts";
import { UnknownAggregateTypeError } from "./errors.ts";
import { byKey, type LoggedEvent, readEvents, scanEvents } from "./events.ts";
import { aggregateLifetime, keyRanges, TIME_SLACK_MS } from "./locate.ts";

/**
 * The fact topics an aggregate's state is folded from: those of its domain (a product is changed
 * by reservation facts too, which are keyed by order on the same domain's topic).
 */
export function topicsOfAggregate(aggregateType: string): string[] {
  const definitions = allEventDefinitions();
  const domains = new Set(
    definitions.filter((d) => d.aggregateType === aggregateType).map((d) => d.domain),
  );
  return [
    ...new Set(definitions.filter((d) => !d.critical && domains.has(d.domain)).map((d) => d.topic)),
  ].sort();
}

const factNamesOf: Readonly<Record<AggregateTypeName, readonly string[]>> = {
  Customer: customerFactNames,
  Order: orderFactNames,
  Product: productFactNames,
  Reservation: reservationFactNames,
  Payment: paymentFactNames,
  Delivery: deliveryFactNames,
};

/**
 * Whether every fact an aggregate folds is its own (keyed by its id, so in one partition per
 * topic). A product is also changed by reservation facts, keyed by order: not keyed by its id.
 */
export function keyedByOwnId(aggregateType: AggregateTypeName): boolean {
  return factNamesOf[aggregateType].every(
    (name) => findEventDefinition(name)?.aggregateType === aggregateType,
  );
}

/** An aggregate's state as of a moment, with the events it was folded from. */
export interface AggregateStateAt {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly at: string;
  /** `undefined` when no event of the aggregate is on the log up to `at`. */
  readonly state: unknown;
  readonly events: readonly LoggedEvent[];
}

/** The aggregate types the domain can fold. */
export function aggregateTypes(): string[] {
  return Object.keys(aggregates);
}

/**
 * A temporal query: folds an aggregate's events on the log up to `at` with the domain's own
 * evolve functions. `duplex state`, the query API's `/aggregates/{type}/{id}` and the console
 * call this. An aggregate whose facts are all keyed by its id (all but Product) is read from one
 * partition per topic (murmur2 of the id), from its first fact (when `readModels` know it) to
 * `at`; a product, also changed by reservation facts keyed by order, from its domain's topics.
 *
 * @throws {UnknownAggregateTypeError} for a type the domain does not know.
 * @example
 * ```ts
 * const { state } = await aggregateStateAt(target, "Order", "o-42", new Date());
 * ```
 */
export async function aggregateStateAt(
  access: LogAccess,
  aggregateType: string,
  id: string,
  at: Date,
  readModels?: ReadModelStore,
): Promise<AggregateStateAt> {
  if (!isAggregateType(aggregateType)) {
    throw new UnknownAggregateTypeError(aggregateType, aggregateTypes());
  }
  const model = aggregates[aggregateType];
  const topics = topicsOfAggregate(aggregateType);
  const toMs = at.getTime() + TIME_SLACK_MS;
  // Only its own facts: one partition per topic, from its first fact (read models) on.
  const events = keyedByOwnId(aggregateType)
    ? await readEvents(
        access,
        await keyRanges(access, topics, id, {
          fromMs: await aggregateLifetime(readModels, aggregateType, id).then((life) =>
            life.firstFactMs === undefined ? undefined : life.firstFactMs - TIME_SLACK_MS,
          ),
          toMs,
        }),
        { accept: byKey(id) },
      )
    : (await scanEvents(access, topics, { toMs })).events;
  const seen = new Set<string>();
  const mine = events.filter((e) => {
    if (e.event.occurredAt > at.toISOString() || seen.has(e.event.eventId)) return false;
    seen.add(e.event.eventId);
    return model.idsTouchedBy(e.event as unknown as EventBody).includes(id);
  });
  const state =
    mine.length === 0
      ? undefined
      : foldAggregate(
          aggregateType,
          id,
          mine.map((e) => e.event as AnyEvent as unknown as EventBody),
        );
  return { aggregateType, aggregateId: id, at: at.toISOString(), state, events: mine };
}
