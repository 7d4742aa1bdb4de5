import { allEventDefinitions } from "../../../events/registry.ts";
import type { AnyEvent } from "../../../events/types.ts";
import { aggregates, foldAggregate, isAggregateType } from "../../domain/aggregates.ts";
import type { EventBody } from "../../domain/drafts.ts";
import type { LogAccess } from "./access.ts";
import { UnknownAggregateTypeError } from "./errors.ts";
import { type LoggedEvent, scanEvents } from "./events.ts";

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
 * call this.
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
): Promise<AggregateStateAt> {
  if (!isAggregateType(aggregateType)) {
    throw new UnknownAggregateTypeError(aggregateType, aggregateTypes());
  }
  const model = aggregates[aggregateType];
  const { events } = await scanEvents(access, topicsOfAggregate(aggregateType), {
    toMs: at.getTime() + 5_000,
    purpose: "state",
  });
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
