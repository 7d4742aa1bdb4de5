import type { AnyEvent, EventTypeName } from "../../events/types.ts";
import type { FunctionDeclaration } from "./declarations.ts";
import { reportEffect } from "./history.ts";
import { logHandler } from "./log-handler.ts";
import { MetricUnit } from "./observability.ts";
import type { ReadModelStore, ViewUpdate } from "./read-models.ts";

/**
 * A projection: a pure function from one event to the view updates it causes. Updates are
 * commutative where events of different aggregates meet (counters, appends), so a projection
 * rebuilt from the log equals the live one whatever the interleaving of partitions.
 */
export interface Projection {
  readonly name: string;
  readonly eventTypes: ReadonlySet<EventTypeName>;
  project(event: AnyEvent): readonly ViewUpdate[];
}

/**
 * Applies an event to every version the projection writes to (the live one, and the one being
 * rebuilt, if any). Returns how many versions changed.
 */
export async function applyProjection(
  store: ReadModelStore,
  projection: Projection,
  event: AnyEvent,
  versions?: readonly number[],
): Promise<number> {
  if (!projection.eventTypes.has(event.eventType)) return 0;
  const updates = projection.project(event);
  let applied = 0;
  for (const version of versions ?? (await store.writeVersions(projection.name))) {
    if ((await store.apply(projection.name, version, event, updates)) === "applied") applied++;
  }
  return applied;
}

/**
 * The Lambda handler of a projector: the log handler plus {@link applyProjection}.
 *
 * @example
 * ```ts
 * export const handler = projectorHandler(declaration, orderSummaryProjection);
 * ```
 */
export function projectorHandler(declaration: FunctionDeclaration, projection: Projection) {
  return logHandler({
    declaration,
    eventTypes: projection.eventTypes,
    handle: async (event, _position, runtime) => {
      const applied = await applyProjection(runtime.readModels(), projection, event);
      reportEffect(applied > 0 ? "applied" : "repeat");
      if (applied === 0) runtime.metrics.addMetric("DuplicatesSkipped", MetricUnit.Count, 1);
    },
  });
}
