import { topicSpecs } from "../../../events/topics.ts";
import type { LogAccess } from "./access.ts";
import { byCorrelation, type LoggedEvent, scanEvents } from "./events.ts";

/** Depth of each event in its flow's causation tree (the first command is 0). */
export function causationDepths(events: readonly LoggedEvent[]): Map<string, number> {
  const byId = new Map(events.map((e) => [e.event.eventId, e.event]));
  const depths = new Map<string, number>();
  const depth = (id: string, seen: Set<string>): number => {
    const known = depths.get(id);
    if (known !== undefined) return known;
    const event = byId.get(id);
    if (event === undefined || event.causationId === id || seen.has(id)) {
      depths.set(id, 0);
      return 0;
    }
    seen.add(id);
    const parent = byId.has(event.causationId) ? depth(event.causationId, seen) + 1 : 0;
    depths.set(id, parent);
    return parent;
  };
  for (const e of events) depth(e.event.eventId, new Set());
  return depths;
}

/** A time window of the log, in epoch milliseconds. */
export interface LogWindow {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
}

/**
 * Every event of one flow (one correlation id) across all topics — commands, facts and dead
 * letters — in time order. `duplex trace`, the query API's `/flows/{id}` and the console all call
 * this. The window bounds the scan by log time; a flow outside it is not found.
 *
 * @example
 * ```ts
 * const events = await flowTimeline(target, command.correlationId, { fromMs: Date.now() - 86_400_000 });
 * events[0]?.event.eventType; // "PlaceOrderRequested"
 * ```
 */
export async function flowTimeline(
  access: LogAccess,
  correlationId: string,
  window: LogWindow = {},
): Promise<LoggedEvent[]> {
  const { events } = await scanEvents(access, Object.keys(topicSpecs), {
    fromMs: window.fromMs,
    toMs: window.toMs,
    accept: byCorrelation(correlationId),
    purpose: "trace",
  });
  return events;
}
