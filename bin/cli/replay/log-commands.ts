import { CE_HEADERS } from "../../../events/codecs/kafka.ts";
import { findEventDefinition } from "../../../events/registry.ts";
import { EventBridgeFastLane } from "../../../functions/kit/fast-lane.ts";
import { header, type LoggedEvent, scanEvents } from "../../../functions/kit/log-query/events.ts";
import type { Target } from "../target/target.ts";
import type { TimeWindow } from "../time.ts";

/**
 * Critical commands of a time window, read from the log (every critical command is on its command
 * topic before the fast lane sees it): the command topics between `offsetsAtTime(from − 5 s)` and
 * `offsetsAtTime(to + 5 s)` (log times may trail the event's time a little), then exactly the
 * commands whose `occurredAt` is in `[from, to)` (the time EventBridge archives them under) and
 * whose type was asked for, each once, in time order.
 *
 * @example
 * ```ts
 * const { events } = await commandsInWindow(target, window, ["ProcessPaymentRequested"]);
 * ```
 */
export async function commandsInWindow(
  target: Target,
  window: TimeWindow,
  commands: readonly string[] | undefined,
): Promise<{ events: LoggedEvent[]; byType: Record<string, number>; topics: string[] }> {
  const types = new Set(commands ?? Object.keys(target.resources.commands));
  const topics = [
    ...new Set(
      [...types]
        .map((t) => findEventDefinition(t)?.topic)
        .filter((t): t is NonNullable<typeof t> => t !== undefined),
    ),
  ].sort();
  const slackMs = 5_000;
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  const { events } = await scanEvents(target, topics, {
    fromMs: fromMs - slackMs,
    toMs: toMs + slackMs,
    // Filtered on the headers, so only the window's commands are decoded.
    accept: (record) => {
      const type = header(record, CE_HEADERS.type);
      const at = Date.parse(header(record, CE_HEADERS.time) ?? "");
      return type !== undefined && types.has(type) && at >= fromMs && at < toMs;
    },
  });
  const seen = new Set<string>();
  const unique = events.filter((e) => !seen.has(e.event.eventId) && seen.add(e.event.eventId));
  const byType: Record<string, number> = {};
  for (const { event } of unique) byType[event.eventType] = (byType[event.eventType] ?? 0) + 1;
  return { events: unique, byType, topics };
}

/** What a replay to the fast lane did. */
export interface FastLaneReplayResult {
  readonly sent: number;
  readonly failed: readonly { eventId: string; errorCode: string; errorMessage: string }[];
}

/**
 * Puts commands on the target's bus again, as the publisher does (same entries, so the same rules
 * route them), a batch of PutEvents at a time with per-entry failures retried and reported. The
 * handlers are idempotent by event id: a command they already handled changes nothing.
 */
export async function replayToFastLane(
  target: Target,
  events: readonly LoggedEvent[],
  onProgress?: (sent: number) => void,
  batchSize = 100,
): Promise<FastLaneReplayResult> {
  const lane = new EventBridgeFastLane(target.eventBridge, target.resources.eventBusName);
  const failed: { eventId: string; errorCode: string; errorMessage: string }[] = [];
  let sent = 0;
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize).map((e) => e.event);
    const result = await lane.send(batch);
    sent += result.delivered.length;
    failed.push(...result.failed);
    onProgress?.(sent);
  }
  return { sent, failed };
}
