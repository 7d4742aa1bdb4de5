import { MetricUnit } from "../kit/observability.ts";
import { scheduledHandler } from "../kit/scheduled-handler.ts";
import { outboxGraceSeconds } from "../kit/settings.ts";
import { declaration } from "./function.ts";

const graceMs = outboxGraceSeconds() * 1000;

/**
 * Publishes events that were committed with their state change but are still in the outbox after
 * a grace period: the handler crashed (or lost the log) between commit and publish. Events of one
 * item go out in the order they were committed; consumers skip duplicates by sequence.
 */
export const handler = scheduledHandler(declaration, async (runtime, now) => {
  let items = 0;
  let events = 0;
  for (const table of ["aggregates", "sagas"] as const) {
    const store = runtime.store(table);
    for (const key of await store.pendingOutbox(new Date(now.getTime() - graceMs))) {
      const item = await store.load(key, null);
      if (item.outbox.length === 0) continue;
      await runtime.publisher.publish(item.outbox);
      await store.markPublished(
        key,
        item.outbox.map((e) => e.eventId),
      );
      items++;
      events += item.outbox.length;
      runtime.logger.warn("published events a crash left in the outbox", {
        key,
        eventIds: item.outbox.map((e) => e.eventId),
      });
    }
  }
  runtime.metrics.addMetric("OutboxEventsSwept", MetricUnit.Count, events);
  return { items, events };
});
